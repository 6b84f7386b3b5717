"""``productSet``: Shopify's product upsert, applied all-or-nothing to the sandbox state.

With ``identifier`` it updates that product (by id) or the one with that handle (created
if none has it). List fields it is given replace what was there, so variants left out
are deleted together with their inventory items and levels. A variant in the input is
matched to an existing one by ``id``, else by its option values, else created. Without
``variants`` on create the product gets Shopify's single "Default Title" variant; on
update the variants stay. ``inventoryQuantities`` set ``available`` or ``on_hand``: a
new variant is stocked at the given locations, an existing one only changes where it is
already stocked (the official schema's rule).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from stockbridge.sandbox.shopify.catalog import DEFAULT_OPTION, variants_of
from stockbridge.sandbox.shopify.context import Info, ResolveContext
from stockbridge.sandbox.shopify.inventory import SETTABLE_NAMES, set_quantity
from stockbridge.sandbox.shopify.payloads import product_payload
from stockbridge.sandbox.shopify.state import (
    InventoryItemRecord,
    OptionRecord,
    OptionValueRecord,
    ProductRecord,
    ShopState,
    VariantRecord,
)

MAX_VARIANTS = 2048
#: Shopify: all variants' inventoryQuantities in one productSet together.
MAX_INVENTORY_QUANTITIES = 50_000


class Invalid(Exception):
    """A user error found while applying a product change; nothing is changed."""

    def __init__(self, field: list[str], message: str, code: str) -> None:
        super().__init__(message)
        self.error = {"field": field, "message": message, "code": code}


def _money(value: Any, field: list[str]) -> str:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation as error:
        raise Invalid(field, f"Price {value!r} is not a valid amount.", "INVALID_INPUT") from error
    if amount < 0:
        raise Invalid(field, "Price must be greater than or equal to 0.", "INVALID_INPUT")
    return str(amount)


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "product"


def _unique_handle(state: ShopState, wanted: str, product_id: str) -> str:
    taken = {p.handle for p in state.products.values() if p.id != product_id}
    handle, n = wanted, 0
    while handle in taken:
        n += 1
        handle = f"{wanted}-{n}"
    return handle


def resolve_product_set(
    _root: None,
    info: Info,
    input: Any,
    identifier: Any = None,
    synchronous: bool = True,
) -> dict[str, Any]:
    context = info.context
    state = context.state
    with state.lock:
        # Work on a draft so that a user error half-way leaves the shop untouched.
        draft = _draft(state, identifier or {})
        try:
            product = _apply_product_set(draft, context, input, identifier or {})
        except Invalid as invalid:
            return _payload(None, [invalid.error], synchronous, state)
        existed = product.id in state.products
        for name in ShopState.model_fields:
            setattr(state, name, getattr(draft, name))
        context.changed = True
        topic = "products/update" if existed else "products/create"
        context.announce(topic, product_payload(state, state.products[product.id]))
        return _payload(state.products[product.id], [], synchronous, state)


def _draft(state: ShopState, identifier: Any) -> ShopState:
    """A copy of the state in which only the targeted product's records may be changed.

    The collections are copied shallowly and the one product's records deeply, so a
    productSet costs what that product holds, not what the whole shop holds.
    """
    draft = state.model_copy(update={name: dict(getattr(state, name)) for name in _COLLECTIONS})
    handle = identifier.get("handle")
    target = state.products.get(identifier.get("id") or "") or next(
        (p for p in state.products.values() if handle and p.handle == handle), None
    )
    if target is not None:
        draft.products[target.id] = target.model_copy(deep=True)
        for variant in variants_of(state, target):
            draft.variants[variant.id] = variant.model_copy(deep=True)
            item_id = variant.inventory_item_id
            draft.inventory_items[item_id] = state.inventory_items[item_id].model_copy(deep=True)
            for level in state.levels_of_item(item_id):
                draft.inventory_levels[level.id] = level.model_copy(deep=True)
    return draft


_COLLECTIONS = (
    "locations",
    "products",
    "variants",
    "inventory_items",
    "inventory_levels",
)


def _payload(
    product: ProductRecord | None, errors: list[Any], synchronous: bool, state: ShopState
) -> dict[str, Any]:
    if synchronous:
        return {"product": product, "productSetOperation": None, "userErrors": errors}
    # The sandbox finishes at once; an asynchronous caller sees a completed operation.
    operation = {
        "id": state.new_id("ProductSetOperation"),
        "product": product,
        "status": "COMPLETE",
        "userErrors": errors,
    }
    return {"product": None, "productSetOperation": operation, "userErrors": []}


def _apply_product_set(
    state: ShopState, context: ResolveContext, data: Any, identifier: Any
) -> ProductRecord:
    product = _find_or_start(state, context, data, identifier)
    for key, attribute in (
        ("title", "title"),
        ("descriptionHtml", "description_html"),
        ("status", "status"),
        ("vendor", "vendor"),
        ("productType", "product_type"),
        ("tags", "tags"),
    ):
        if data.get(key) is not None:
            setattr(product, attribute, data[key])
    if not product.title:
        raise Invalid(["input", "title"], "Title can't be blank", "MISSING_FIELD_REQUIRED")
    wanted_handle = data.get("handle") or product.handle or _slug(product.title)
    product.handle = _unique_handle(state, wanted_handle, product.id)
    if data.get("handle") and product.handle != data["handle"]:
        raise Invalid(
            ["input", "handle"], f"Handle '{data['handle']}' already in use.", "HANDLE_NOT_UNIQUE"
        )
    options_given = data.get("productOptions") is not None
    variants = data.get("variants")
    if options_given and variants is None:
        raise Invalid(["input", "variants"], "Variants input is missing.", "VARIANTS_INPUT_MISSING")
    if options_given:
        product.options = _options(state, product.options, data["productOptions"])
    if variants is None and not product.variant_ids:
        default = [{"name": DEFAULT_OPTION[0], "values": [{"name": DEFAULT_OPTION[1]}]}]
        product.options = _options(state, product.options, default)
        variants = [
            {"optionValues": [{"optionName": DEFAULT_OPTION[0], "name": DEFAULT_OPTION[1]}]}
        ]
    elif variants is not None and not product.options:
        raise Invalid(
            ["input", "productOptions"],
            "Product options input is missing.",
            "PRODUCT_OPTIONS_INPUT_MISSING",
        )
    if variants is not None:
        _replace_variants(state, context, product, variants)
    _mark_used_values(state, product)
    product.updated_at = context.now
    state.products[product.id] = product
    return product


def _find_or_start(
    state: ShopState, context: ResolveContext, data: Any, identifier: Any
) -> ProductRecord:
    if identifier.get("id"):
        found = state.products.get(identifier["id"])
        if found is None:
            raise Invalid(["identifier", "id"], "Product does not exist", "PRODUCT_DOES_NOT_EXIST")
        return found
    if identifier.get("handle"):
        by_handle = next(
            (p for p in state.products.values() if p.handle == identifier["handle"]), None
        )
        if by_handle is not None:
            return by_handle
    handle = identifier.get("handle") or data.get("handle") or ""
    return ProductRecord(
        id=state.new_id("Product"),
        title="",
        handle=handle,
        created_at=context.now,
        updated_at=context.now,
    )


def _options(
    state: ShopState, current: list[OptionRecord], options: list[Any]
) -> list[OptionRecord]:
    """The new option list; options and values kept by name keep their ids, as on Shopify."""
    known = {option.name: option for option in current}
    records: list[OptionRecord] = []
    for index, option in enumerate(options):
        path = ["input", "productOptions", str(index)]
        name = option.get("name") or ""
        if name in {r.name for r in records}:
            raise Invalid(
                [*path, "name"], f"Duplicated option name '{name}'", "DUPLICATED_OPTION_NAME"
            )
        names = [value.get("name") or "" for value in option.get("values") or []]
        if len(set(names)) != len(names):
            raise Invalid([*path, "values"], "Duplicated option value.", "DUPLICATED_OPTION_VALUE")
        previous = known.get(name)
        value_ids = {v.name: v.id for v in previous.option_values} if previous else {}
        records.append(
            OptionRecord(
                id=previous.id if previous else state.new_id("ProductOption"),
                name=name,
                position=option.get("position") or index + 1,
                option_values=[
                    OptionValueRecord(
                        id=value_ids.get(n) or state.new_id("ProductOptionValue"), name=n
                    )
                    for n in names
                ],
            )
        )
    return sorted(records, key=lambda record: record.position)


def _option_values(
    product: ProductRecord, given: list[Any], path: list[str]
) -> list[tuple[str, str]]:
    chosen: dict[str, str] = {}
    for index, value in enumerate(given):
        option = next((o for o in product.options if o.name == value.get("optionName")), None)
        if option is None:
            raise Invalid(
                [*path, "optionValues", str(index)],
                "Option does not exist",
                "OPTION_DOES_NOT_EXIST",
            )
        if value.get("name") not in {v.name for v in option.option_values}:
            raise Invalid(
                [*path, "optionValues", str(index)],
                "Option value does not exist",
                "OPTION_VALUE_DOES_NOT_EXIST",
            )
        chosen[option.name] = value["name"]
    return [(o.name, chosen[o.name]) for o in product.options if o.name in chosen]


def _replace_variants(
    state: ShopState, context: ResolveContext, product: ProductRecord, variants: list[Any]
) -> None:
    if len(variants) > MAX_VARIANTS:
        raise Invalid(["input", "variants"], "Too many variants.", "VARIANTS_OVER_LIMIT")
    if sum(len(v.get("inventoryQuantities") or []) for v in variants) > MAX_INVENTORY_QUANTITIES:
        raise Invalid(
            ["input", "variants"],
            "The total number of inventory quantities can't exceed 50000.",
            "INVENTORY_QUANTITIES_LIMIT_EXCEEDED",
        )
    old = {variant_id: state.variants[variant_id] for variant_id in product.variant_ids}
    kept: list[str] = []
    for index, given in enumerate(variants):
        path = ["input", "variants", str(index)]
        options = _option_values(product, given["optionValues"], path)
        variant = _match_variant(old, given, options, path)
        existing = variant is not None
        if variant is None:
            variant = _new_variant(state, context, product)
        variant.option_values = options
        variant.position = given.get("position") or index + 1
        apply_variant_fields(state, variant, given, path)
        variant.updated_at = context.now
        state.variants[variant.id] = variant
        quantities = given.get("inventoryQuantities") or []
        _apply_inventory(state, context, variant, quantities, path, existing=existing)
        kept.append(variant.id)
    for variant_id in set(old) - set(kept):
        _delete_variant(state, old[variant_id])
    product.variant_ids = kept


def _match_variant(
    old: dict[str, VariantRecord], given: Any, options: list[tuple[str, str]], path: list[str]
) -> VariantRecord | None:
    if given.get("id"):
        if given["id"] not in old:
            raise Invalid(
                [*path, "id"], "Product variant does not exist", "PRODUCT_VARIANT_DOES_NOT_EXIST"
            )
        return old[given["id"]]
    return next((v for v in old.values() if v.option_values == options), None)


def _new_variant(
    state: ShopState, context: ResolveContext, product: ProductRecord
) -> VariantRecord:
    variant_id, item_id = state.new_id("ProductVariant"), state.new_id("InventoryItem")
    state.inventory_items[item_id] = InventoryItemRecord(
        id=item_id, variant_id=variant_id, created_at=context.now, updated_at=context.now
    )
    return VariantRecord(
        id=variant_id,
        product_id=product.id,
        inventory_item_id=item_id,
        created_at=context.now,
        updated_at=context.now,
    )


def apply_variant_fields(
    state: ShopState, variant: VariantRecord, given: Any, path: list[str]
) -> None:
    if given.get("price") is not None:
        variant.price = _money(given["price"], [*path, "price"])
    if "compareAtPrice" in given:
        compare = given["compareAtPrice"]
        variant.compare_at_price = (
            None if compare is None else _money(compare, [*path, "compareAtPrice"])
        )
    for key, attribute in (
        ("barcode", "barcode"),
        ("taxable", "taxable"),
        ("inventoryPolicy", "inventory_policy"),
    ):
        if given.get(key) is not None:
            setattr(variant, attribute, given[key])
    item = state.inventory_items[variant.inventory_item_id]
    item_input = given.get("inventoryItem") or {}
    sku = item_input.get("sku", given.get("sku"))
    if sku is not None:
        variant.sku = item.sku = sku
    for key, attribute in (("tracked", "tracked"), ("requiresShipping", "requires_shipping")):
        if item_input.get(key) is not None:
            setattr(item, attribute, item_input[key])


def _apply_inventory(
    state: ShopState,
    context: ResolveContext,
    variant: VariantRecord,
    quantities: list[Any],
    path: list[str],
    *,
    existing: bool,
) -> None:
    for index, entry in enumerate(quantities):
        where = [*path, "inventoryQuantities", str(index)]
        if entry["locationId"] not in state.locations:
            raise Invalid([*where, "locationId"], "Location does not exist", "INVALID_INPUT")
        if entry["name"] not in SETTABLE_NAMES:
            raise Invalid([*where, "name"], "Inventory quantity name is invalid", "INVALID_INPUT")
        # Shopify: an existing variant's quantities change only where it is already stocked.
        if existing and state.level(variant.inventory_item_id, entry["locationId"]) is None:
            raise Invalid(
                [*where, "locationId"],
                "The variant is not stocked at this location.",
                "INVALID_INPUT",
            )
        level = state.stock_level(variant.inventory_item_id, entry["locationId"], context.now)
        set_quantity(level, entry["name"], entry["quantity"])
        level.updated_at = context.now


def _delete_variant(state: ShopState, variant: VariantRecord) -> None:
    del state.variants[variant.id]
    state.inventory_items.pop(variant.inventory_item_id, None)
    for level in state.levels_of_item(variant.inventory_item_id):
        del state.inventory_levels[level.id]


def _mark_used_values(state: ShopState, product: ProductRecord) -> None:
    used = {pair for v in variants_of(state, product) for pair in v.option_values}
    for option in product.options:
        for value in option.option_values:
            value.has_variants = (option.name, value.name) in used


MUTATIONS: dict[str, Callable[..., Any]] = {"productSet": resolve_product_set}
