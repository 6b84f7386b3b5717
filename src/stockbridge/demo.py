"""The demo shop: where its database lives, and the sample data seeded into it.

Three branches of an electronics and music shop, sixty product codes with real-world
names, brands, categories, prices and (made-up but valid) EAN-13 barcodes. Stock comes in
only through ``pos/inventory`` (deliveries received), then a few web reservations,
shipments, cancellations, till sales, a transfer, a write-off and a stock count make the
ledger look lived in. A fixed random seed makes every run produce the same shop.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from stockbridge.db.models import Branch, Condition, ProductCode, StockLedgerEntry
from stockbridge.money import to_minor_units
from stockbridge.pos import catalog, inventory
from stockbridge.pos.inventory import Reference, SaleLine
from stockbridge.pos.schemas import BranchCreate, ProductCodeCreate, VersionUpdate

DEMO_DATABASE = Path("var/demo.db")
DEMO_SEED = 20261125
DEMO_CURRENCY = "EUR"
ACTOR = "demo"

BRANCHES = (
    BranchCreate(
        code="AMS",
        name="Amsterdam Centrum",
        address={"street": "Kalverstraat 92", "postal_code": "1012 PH", "city": "Amsterdam"},
    ),
    BranchCreate(
        code="UTR",
        name="Utrecht Oudegracht",
        address={"street": "Oudegracht 158", "postal_code": "3511 AZ", "city": "Utrecht"},
    ),
    BranchCreate(
        code="RTM",
        name="Rotterdam Witte de With",
        address={"street": "Witte de Withstraat 31", "postal_code": "3012 BL", "city": "Rotterdam"},
    ),
)

CATEGORIES = {
    "headphones": "Audio > Headphones",
    "earbuds": "Audio > Earbuds",
    "speakers": "Audio > Speakers",
    "studio": "Audio > Studio",
    "microphones": "Audio > Microphones",
    "mirrorless": "Cameras > Mirrorless",
    "lenses": "Cameras > Lenses",
    "action": "Cameras > Action cameras",
    "drones": "Cameras > Drones",
    "instant": "Cameras > Instant",
    "phones": "Phones & tablets > Phones",
    "tablets": "Phones & tablets > Tablets",
    "ereaders": "Phones & tablets > E-readers",
    "laptops": "Computers > Laptops",
    "monitors": "Computers > Monitors",
    "pc": "Computers > Accessories",
    "storage": "Computers > Storage",
    "consoles": "Gaming > Consoles",
    "controllers": "Gaming > Controllers",
    "vr": "Gaming > VR",
    "guitars": "Instruments > Electric guitars",
    "acoustic": "Instruments > Acoustic guitars",
    "bass": "Instruments > Bass guitars",
    "pedals": "Instruments > Effects pedals",
    "amps": "Instruments > Amplifiers",
    "keys": "Instruments > Keyboards",
    "wearables": "Wearables",
}

# brand, name, category (a key of CATEGORIES), price in EUR, weight in grams, colour
CATALOGUE: tuple[tuple[str, str, str, str, int, str | None], ...] = (
    ("Sony", "WH-1000XM5 Noise Cancelling Headphones", "headphones", "379.00", 250, "Black"),
    ("Bose", "QuietComfort Ultra Headphones", "headphones", "449.95", 254, "White Smoke"),
    ("Sennheiser", "Momentum 4 Wireless", "headphones", "299.00", 293, "Black"),
    ("Audio-Technica", "ATH-M50x Studio Monitor Headphones", "headphones", "169.00", 285, "Black"),
    ("Apple", "AirPods Pro (2nd generation) USB-C", "earbuds", "279.00", 51, "White"),
    ("Jabra", "Elite 10 True Wireless Earbuds", "earbuds", "199.00", 58, "Titanium Black"),
    ("JBL", "Charge 5 Portable Bluetooth Speaker", "speakers", "179.99", 960, "Blue"),
    ("Sonos", "Era 100 Smart Speaker", "speakers", "279.00", 2000, "Black"),
    ("Bose", "SoundLink Flex Bluetooth Speaker", "speakers", "169.95", 600, "Stone Blue"),
    ("Marshall", "Emberton II Portable Speaker", "speakers", "169.99", 700, "Black & Brass"),
    ("Yamaha", "HS5 Powered Studio Monitor", "studio", "199.00", 5300, "Black"),
    ("Focusrite", "Scarlett 2i2 (4th Gen) USB Audio Interface", "studio", "199.99", 588, None),
    ("Shure", "SM58 Dynamic Vocal Microphone", "microphones", "109.00", 298, None),
    ("Rode", "NT-USB Mini USB Microphone", "microphones", "109.00", 585, None),
    ("Canon", "EOS R6 Mark II Body", "mirrorless", "2499.00", 670, None),
    ("Sony", "Alpha 7 IV Body", "mirrorless", "2399.00", 658, None),
    ("Nikon", "Z6 II Body", "mirrorless", "1899.00", 705, None),
    ("Fujifilm", "X-T5 Body", "mirrorless", "1899.00", 557, "Silver"),
    ("Canon", "RF 24-105mm F4 L IS USM Lens", "lenses", "1199.00", 700, None),
    ("Sony", "FE 50mm F1.8 Lens", "lenses", "249.00", 186, None),
    ("GoPro", "HERO12 Black Action Camera", "action", "449.99", 154, None),
    ("DJI", "Osmo Pocket 3 Gimbal Camera", "action", "539.00", 179, None),
    ("DJI", "Mini 4 Pro Drone", "drones", "799.00", 249, None),
    ("Fujifilm", "Instax Mini 12 Instant Camera", "instant", "79.99", 306, "Pastel Blue"),
    ("Apple", "iPhone 15 128GB", "phones", "969.00", 171, "Black"),
    ("Samsung", "Galaxy S24 256GB", "phones", "959.00", 167, "Onyx Black"),
    ("Google", "Pixel 8 128GB", "phones", "799.00", 187, "Hazel"),
    ("Fairphone", "Fairphone 5 256GB", "phones", "699.00", 212, "Matte Black"),
    ("Apple", "iPad Air 11-inch (M2) 128GB Wi-Fi", "tablets", "699.00", 462, "Space Grey"),
    ("Samsung", "Galaxy Tab S9 FE 128GB", "tablets", "449.00", 523, "Grey"),
    ("Amazon", "Kindle Paperwhite 16GB", "ereaders", "169.99", 211, "Black"),
    ("Apple", "MacBook Air 13-inch (M3) 8GB/256GB", "laptops", "1299.00", 1240, "Midnight"),
    ("Lenovo", "ThinkPad X1 Carbon Gen 11", "laptops", "1899.00", 1120, "Deep Black"),
    ("Dell", "XPS 13 (9340)", "laptops", "1499.00", 1190, "Platinum"),
    ("ASUS", "ROG Zephyrus G14 (2024)", "laptops", "1999.00", 1500, "Eclipse Grey"),
    ("Dell", "UltraSharp U2723QE 27-inch 4K Monitor", "monitors", "629.00", 6600, None),
    ("Logitech", "MX Master 3S Wireless Mouse", "pc", "119.00", 141, "Graphite"),
    ("Logitech", "MX Keys S Wireless Keyboard", "pc", "129.00", 810, "Graphite"),
    ("Keychron", "Q1 Pro Wireless Mechanical Keyboard", "pc", "219.00", 1700, "Carbon Black"),
    ("Samsung", "T7 Portable SSD 1TB", "storage", "119.99", 58, "Titan Grey"),
    ("SanDisk", "Extreme PRO SDXC 128GB", "storage", "34.99", 2, None),
    ("Nintendo", "Switch OLED Model", "consoles", "349.99", 420, "White"),
    ("Sony", "PlayStation 5 Slim Digital Edition", "consoles", "449.99", 2600, "White"),
    ("Microsoft", "Xbox Series X 1TB", "consoles", "549.99", 4450, "Black"),
    ("Valve", "Steam Deck OLED 512GB", "consoles", "569.00", 640, None),
    ("Sony", "DualSense Wireless Controller", "controllers", "74.99", 280, "Midnight Black"),
    ("Nintendo", "Switch Pro Controller", "controllers", "69.99", 246, "Black"),
    ("Meta", "Quest 3 128GB", "vr", "549.99", 515, "White"),
    ("Fender", "Player Stratocaster MN", "guitars", "849.00", 3600, "3-Colour Sunburst"),
    ("Gibson", "Les Paul Standard '50s", "guitars", "2899.00", 4300, "Heritage Cherry Sunburst"),
    ("Yamaha", "FG800 Acoustic Guitar", "acoustic", "229.00", 2300, "Natural"),
    ("Ibanez", "SR300E Electric Bass", "bass", "399.00", 3700, "Iron Pewter"),
    ("Boss", "DS-1 Distortion Pedal", "pedals", "59.00", 385, "Orange"),
    ("Electro-Harmonix", "Big Muff Pi Fuzz Pedal", "pedals", "99.00", 544, None),
    ("Boss", "Katana-50 MkII Guitar Amplifier", "amps", "289.00", 11600, None),
    ("Roland", "FP-30X Digital Piano", "keys", "749.00", 14800, "Black"),
    ("Korg", "minilogue xd Polyphonic Synthesizer", "keys", "679.00", 2800, None),
    ("Arturia", "KeyStep 37 MIDI Controller", "keys", "179.00", 1400, None),
    ("Apple", "Watch Series 9 GPS 45mm", "wearables", "459.00", 39, "Midnight"),
    ("Garmin", "Forerunner 265 GPS Running Watch", "wearables", "449.99", 47, "Black"),
)

# Second-hand conditions a product may also be stocked in, with their share of the new price.
SECOND_HAND = ((Condition.OPEN_BOX, 0.85), (Condition.REFURBISHED, 0.75), (Condition.USED, 0.6))


@dataclass(frozen=True)
class DemoSummary:
    branches: int
    product_codes: int
    versions: int
    ledger_entries: int


def delete_database_files(path: Path = DEMO_DATABASE) -> None:
    """Remove a SQLite database together with its WAL and shared-memory files."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def is_empty(session: Session) -> bool:
    return not session.scalar(select(exists(select(Branch.id)) | exists(select(ProductCode.id))))


def seed_demo_data(session: Session, *, seed: int = DEMO_SEED) -> DemoSummary:
    """Fill an empty database with the demo shop; the caller commits."""
    rng = random.Random(seed)  # noqa: S311 - sample data, not security
    branches = [catalog.create_branch(session, data) for data in BRANCHES]
    products = [catalog.create_product_code(session, data) for data in demo_products(rng)]
    version_ids = _receive_opening_stock(session, rng, products, branches)
    _simulate_trading(session, rng, version_ids, branches)
    entries = session.scalar(select(func.count(StockLedgerEntry.id))) or 0
    return DemoSummary(len(branches), len(products), len(version_ids), entries)


def demo_products(rng: random.Random) -> list[ProductCodeCreate]:
    """The catalogue as product-code input, with SKUs and EAN-13 barcodes."""
    return [
        ProductCodeCreate(
            sku=f"{_brand_code(brand)}-{1001 + index}",
            name=f"{brand} {name}",
            description=f"{brand} {name}. New, boxed, with the manufacturer's 2-year warranty.",
            brand=brand,
            category=CATEGORIES[category],
            barcode=_ean13(rng),
            attributes={"colour": colour} if colour else {},
            price_cents=to_minor_units(price, DEMO_CURRENCY),
            currency=DEMO_CURRENCY,
            weight_grams=weight,
        )
        for index, (brand, name, category, price, weight, colour) in enumerate(CATALOGUE)
    ]


def _brand_code(brand: str) -> str:
    return "".join(character for character in brand.upper() if character.isalpha())[:3]


def _ean13(rng: random.Random) -> str:
    """A valid EAN-13 in the GS1 Netherlands range (871...), random but check-digited."""
    digits = "871" + "".join(str(rng.randrange(10)) for _ in range(9))
    weighted = sum(int(digit) * (3 if position % 2 else 1) for position, digit in enumerate(digits))
    return digits + str((10 - weighted % 10) % 10)


def _receive_opening_stock(
    session: Session, rng: random.Random, products: list[ProductCode], branches: list[Branch]
) -> list[int]:
    """New stock in one to three branches, sometimes a second-hand version beside it."""
    version_ids = []
    for delivery, product in enumerate(products, start=1):
        reference = Reference("delivery", f"DEL-{delivery:04d}")
        for branch in rng.sample(branches, k=rng.choice((1, 2, 2, 3, 3))):
            version_ids.append(
                _stock(session, product, branch, Condition.NEW, rng.randint(2, 14), reference)
            )
        if rng.random() < 0.35:
            condition, share = rng.choice(SECOND_HAND)
            version_id = _stock(
                session, product, rng.choice(branches), condition, rng.randint(1, 3), reference
            )
            euros = int(product.price_cents * share) // 100
            price = VersionUpdate(price_cents=max(euros * 100 - 1, 0))
            catalog.update_version(session, version_id, price)
            version_ids.append(version_id)
    return version_ids


def _stock(
    session: Session,
    product: ProductCode,
    branch: Branch,
    condition: Condition,
    quantity: int,
    reference: Reference,
) -> int:
    version_id = inventory.ensure_version(
        session, product_code_id=product.id, branch_id=branch.id, condition=condition
    )
    inventory.receive(
        session, version_id, quantity, actor=ACTOR, reference=reference, note="opening stock"
    )
    return version_id


def _simulate_trading(
    session: Session, rng: random.Random, version_ids: list[int], branches: list[Branch]
) -> None:
    """Web orders reserved (some shipped, one cancelled), till sales, a transfer, a
    write-off and a stock count, all through ``pos/inventory``."""
    picks = rng.sample(version_ids, k=35)
    for number, version_id in enumerate(picks[:14], start=1):
        reference = Reference("web_order", f"WEB-{10000 + number}")
        inventory.reserve(session, version_id, 1, actor=ACTOR, reference=reference)
        if number % 2 == 0:
            inventory.ship(session, version_id, 1, actor=ACTOR, reference=reference)
        elif number == 13:
            inventory.release(session, version_id, 1, actor=ACTOR, reference=reference)
    for number, version_id in enumerate(picks[14:32], start=1):
        sale = [SaleLine(version_id, 1)]
        inventory.sell(session, sale, actor=ACTOR, reference=Reference("till", f"POS-{number:05d}"))
    transfer_from = catalog.get_version(session, picks[32])
    destination = next(branch for branch in branches if branch.id != transfer_from.branch_id)
    inventory.transfer(session, transfer_from.id, destination.id, 1, actor=ACTOR)
    inventory.write_off(session, picks[33], 1, reason="dropped in the shop", actor=ACTOR)
    counted = catalog.get_version(session, picks[34])
    inventory.adjust_to_count(
        session, counted.id, counted.qty_on_hand + 1, reason="stock count", actor=ACTOR
    )
