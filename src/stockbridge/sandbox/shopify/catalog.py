"""Products and variants as read: their queries (with search and pagination) and their
computed fields. ``product_set`` owns changing them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stockbridge.sandbox.shopify.context import Info, ResolveContext
from stockbridge.sandbox.shopify.pagination import connection
from stockbridge.sandbox.shopify.search import Searchable, matches
from stockbridge.sandbox.shopify.state import (
    ProductRecord,
    ShopState,
    VariantRecord,
    gid_number,
)

DEFAULT_OPTION = ("Title", "Default Title")


def _ctx(info: Info) -> ResolveContext:
    return info.context


# --- reading ------------------------------------------------------------------------


def _available(state: ShopState, variant: VariantRecord) -> int:
    return sum(
        lvl.quantities["available"] for lvl in state.levels_of_item(variant.inventory_item_id)
    )


def variants_of(state: ShopState, product: ProductRecord) -> list[VariantRecord]:
    return [state.variants[variant_id] for variant_id in product.variant_ids]


def _product_search(state: ShopState, product: ProductRecord) -> Searchable:
    variants = variants_of(state, product)
    return Searchable(
        text={
            "sku": [v.sku for v in variants if v.sku],
            "barcode": [v.barcode for v in variants if v.barcode],
            "handle": [product.handle],
            "id": [str(gid_number(product.id))],
            "status": [product.status],
            "vendor": [product.vendor],
            "product_type": [product.product_type],
            "tag": product.tags,
        },
        words={"title": product.title},
        times={"created_at": product.created_at, "updated_at": product.updated_at},
    )


def _variant_search(state: ShopState, variant: VariantRecord) -> Searchable:
    product = state.products[variant.product_id]
    return Searchable(
        text={
            "sku": [variant.sku] if variant.sku else [],
            "barcode": [variant.barcode] if variant.barcode else [],
            "id": [str(gid_number(variant.id))],
            "product_id": [str(gid_number(product.id))],
        },
        words={"title": f"{product.title} {variant.title}"},
        times={"created_at": variant.created_at, "updated_at": variant.updated_at},
    )


def resolve_products(
    _root: None, info: Info, query: str | None = None, **page: Any
) -> dict[str, Any]:
    state = _ctx(info).state
    found = [p for p in state.products.values() if matches(query, _product_search(state, p))]
    return connection(found, key=lambda p: gid_number(p.id), **page)


def resolve_product_variants(
    _root: None, info: Info, query: str | None = None, **page: Any
) -> dict[str, Any]:
    state = _ctx(info).state
    found = [v for v in state.variants.values() if matches(query, _variant_search(state, v))]
    return connection(found, key=lambda v: gid_number(v.id), **page)


def _selected_options(product: ProductRecord, variant: VariantRecord) -> list[dict[str, Any]]:
    selected = []
    for option_name, value_name in variant.option_values:
        option = next(o for o in product.options if o.name == option_name)
        value = next(v for v in option.option_values if v.name == value_name)
        selected.append({"name": option_name, "value": value_name, "optionValue": value})
    return selected


def _variant_field(compute: Callable[[ShopState, VariantRecord], Any]) -> Callable[..., Any]:
    return lambda variant, info: compute(_ctx(info).state, variant)


def _product_field(compute: Callable[[ShopState, ProductRecord], Any]) -> Callable[..., Any]:
    return lambda product, info: compute(_ctx(info).state, product)


RESOLVERS: dict[str, dict[str, Callable[..., Any]]] = {
    "QueryRoot": {
        "products": resolve_products,
        "product": lambda _root, info, id: _ctx(info).state.products.get(id),
        "productVariants": resolve_product_variants,
        "productVariant": lambda _root, info, id: _ctx(info).state.variants.get(id),
    },
    "Product": {
        "options": lambda product, info, first=None: product.options[:first],
        "variants": lambda product, info, **page: connection(
            variants_of(_ctx(info).state, product), key=lambda v: v.position, **page
        ),
        "variantsCount": lambda product, info: {
            "count": len(product.variant_ids),
            "precision": "EXACT",
        },
        "totalInventory": _product_field(
            lambda state, p: sum(_available(state, v) for v in variants_of(state, p))
        ),
        "tracksInventory": _product_field(
            lambda state, p: any(
                state.inventory_items[v.inventory_item_id].tracked for v in variants_of(state, p)
            )
        ),
        "hasOnlyDefaultVariant": _product_field(
            lambda state, p: [v.option_values for v in variants_of(state, p)] == [[DEFAULT_OPTION]]
        ),
    },
    "ProductOption": {"values": lambda option, info: [v.name for v in option.option_values]},
    "ProductVariant": {
        "product": _variant_field(lambda state, v: state.products[v.product_id]),
        "inventoryItem": _variant_field(
            lambda state, v: state.inventory_items[v.inventory_item_id]
        ),
        "inventoryQuantity": _variant_field(_available),
        "availableForSale": _variant_field(
            lambda state, v: (
                state.products[v.product_id].status == "ACTIVE"
                and (v.inventory_policy == "CONTINUE" or _available(state, v) > 0)
            )
        ),
        "displayName": _variant_field(
            lambda state, v: f"{state.products[v.product_id].title} - {v.title}"
        ),
        "selectedOptions": _variant_field(
            lambda state, v: _selected_options(state.products[v.product_id], v)
        ),
    },
}
