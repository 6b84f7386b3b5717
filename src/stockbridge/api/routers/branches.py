"""``/api/pos/branches``: the shop's branches (stores, warehouses)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from stockbridge.api.deps import SessionDep, WriterPrincipal
from stockbridge.api.problems import problem_responses
from stockbridge.api.schemas.catalog import BranchesPublic, BranchPublic, BranchQuery
from stockbridge.api.schemas.common import PathId
from stockbridge.pos import catalog
from stockbridge.pos.schemas import BranchCreate, BranchUpdate

router = APIRouter(prefix="/branches", tags=["branches"])


@router.get("", summary="List branches", description="Ordered by id; filter on `active`.")
def list_branches(session: SessionDep, query: Annotated[BranchQuery, Query()]) -> BranchesPublic:
    page = catalog.search_branches(
        session, active=query.active, page=query.page, per_page=query.per_page
    )
    return BranchesPublic.model_validate(page)


@router.post(
    "",
    status_code=201,
    summary="Create a branch",
    description="The code is unique (409 if taken).",
    responses=problem_responses(409),
)
def create_branch(session: SessionDep, _: WriterPrincipal, body: BranchCreate) -> BranchPublic:
    return BranchPublic.model_validate(catalog.create_branch(session, body))


@router.get("/{branch_id}", summary="Get a branch", responses=problem_responses(404))
def get_branch(session: SessionDep, branch_id: PathId) -> BranchPublic:
    return BranchPublic.model_validate(catalog.get_branch(session, branch_id))


@router.patch(
    "/{branch_id}",
    summary="Change a branch",
    description="Only the fields given change; the code cannot change.",
    responses=problem_responses(404),
)
def update_branch(
    session: SessionDep, _: WriterPrincipal, branch_id: PathId, body: BranchUpdate
) -> BranchPublic:
    return BranchPublic.model_validate(catalog.update_branch(session, branch_id, body))


@router.delete(
    "/{branch_id}",
    status_code=204,
    summary="Delete a branch",
    description="Only a branch that never held stock; otherwise 409: set `active` to false.",
    responses=problem_responses(404, 409),
)
def delete_branch(session: SessionDep, _: WriterPrincipal, branch_id: PathId) -> None:
    catalog.delete_branch(session, branch_id)
