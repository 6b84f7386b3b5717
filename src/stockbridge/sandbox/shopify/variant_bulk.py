"""``productVariantsBulkUpdate``: several variants of one product changed in one call.

As on Shopify, every variant must belong to ``productId`` and the call is applied
all-or-nothing (``allowPartialUpdates: false``, the default): one bad entry is a user
error naming it by index (``["variants", "3", "price"]``) and nothing changes. The
fields a variant takes are productSet's (price, compare-at price, barcode, taxable,
inventory policy, inventory item), applied by the same code. At most
:data:`MAX_VARIANTS` entries, Shopify's cap on an array argument.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stockbridge.sandbox.shopify.catalog import variants_of
from stockbridge.sandbox.shopify.context import Info, ResolveContext
from stockbridge.sandbox.shopify.payloads import product_payload
from stockbridge.sandbox.shopify.product_set import Invalid, apply_variant_fields
from stockbridge.sandbox.shopify.state import ShopState, VariantRecord

MAX_VARIANTS = 250


def _error(field: list[str], message: str, code: str) -> dict[str, Any]:
    return {"field": field, "message": message, "code": code}


def _changed(
    draft: ShopState, product_variants: dict[str, VariantRecord], variants: list[Any]
) -> list[VariantRecord]:
    """The variants with the input applied, on copies; raises Invalid for a bad entry."""
    changed: list[VariantRecord] = []
    for position, given in enumerate(variants):
        path = ["variants", str(position)]
        original = product_variants.get(given.get("id") or "")
        if original is None:
            raise Invalid(
                [*path, "id"],
                "Product variant does not exist on this product.",
                "PRODUCT_VARIANT_DOES_NOT_EXIST",
            )
        variant = original.model_copy(deep=True)
        item_id = variant.inventory_item_id
        draft.inventory_items[item_id] = draft.inventory_items[item_id].model_copy(deep=True)
        apply_variant_fields(draft, variant, given, path)
        changed.append(variant)
    return changed


def resolve_variants_bulk_update(
    _root: None,
    info: Info,
    productId: str,  # noqa: N803 (GraphQL argument names)
    variants: list[Any],
    allowPartialUpdates: bool = False,  # noqa: N803
) -> dict[str, Any]:
    context: ResolveContext = info.context
    state = context.state
    with state.lock:
        product = state.products.get(productId)
        if product is None:
            error = _error(["productId"], "Product does not exist", "PRODUCT_DOES_NOT_EXIST")
            return {"product": None, "productVariants": None, "userErrors": [error]}
        if len(variants) > MAX_VARIANTS:
            error = _error(
                ["variants"], f"At most {MAX_VARIANTS} variants per call.", "INVALID_INPUT"
            )
            return {"product": product, "productVariants": None, "userErrors": [error]}
        draft = state.model_copy(update={"inventory_items": dict(state.inventory_items)})
        own = {variant.id: variant for variant in variants_of(state, product)}
        try:
            changed = _changed(draft, own, variants)
        except Invalid as invalid:
            return {"product": product, "productVariants": None, "userErrors": [invalid.error]}
        state.inventory_items = draft.inventory_items
        for variant in changed:
            variant.updated_at = context.now
            state.variants[variant.id] = variant
        product.updated_at = context.now
        context.changed = True
        context.announce("products/update", product_payload(state, product))
        return {"product": product, "productVariants": changed, "userErrors": []}


MUTATIONS: dict[str, Callable[..., Any]] = {
    "productVariantsBulkUpdate": resolve_variants_bulk_update
}
