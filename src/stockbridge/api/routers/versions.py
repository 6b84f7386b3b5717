"""``/api/pos/versions``: one product code's stock in one branch and condition."""

from __future__ import annotations

from fastapi import APIRouter

from stockbridge.api.deps import SessionDep, WriterPrincipal
from stockbridge.api.problems import problem_responses
from stockbridge.api.schemas.catalog import VersionPublic
from stockbridge.api.schemas.common import PathId
from stockbridge.pos import catalog
from stockbridge.pos.schemas import VersionUpdate

router = APIRouter(prefix="/versions", tags=["stock"])


@router.get("/{version_id}", summary="Get a version", responses=problem_responses(404))
def get_version(session: SessionDep, version_id: PathId) -> VersionPublic:
    return VersionPublic.model_validate(catalog.get_version(session, version_id))


@router.patch(
    "/{version_id}",
    summary="Set a version's price override or cost",
    description="`price_cents: null` removes the override. Quantities change only through "
    "the /stock operations.",
    responses=problem_responses(404),
)
def update_version(
    session: SessionDep, _: WriterPrincipal, version_id: PathId, body: VersionUpdate
) -> VersionPublic:
    return VersionPublic.model_validate(catalog.update_version(session, version_id, body))
