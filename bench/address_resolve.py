"""Benchmark: resolving old three-level addresses to the new communes.

Standalone: ``python bench/address_resolve.py`` (the database DATABASE_URL names;
default settings = SQLite under var/). It migrates, loads the units if the tables
are empty, builds a few thousand realistic addresses from the package's pre-2025
divisions (full names, house number and street in front, abbreviations "P." "TP."
"H." "TX.", no diacritics, no district, no commas, new two-level addresses) and
measures:

* the cold start: the first ``resolve_address`` call in a fresh process (a child
  process started by this script), including importing the package's data and
  building the lookup tables;
* the throughput after warm-up of ``geo.services.resolve_address`` (resolver plus
  the one query fetching the candidate communes) — the headline — and of the
  resolver alone;
* the share of resolved / ambiguous / not found, and a correctness check against
  the official conversion table (a resolved answer outside the old ward's official
  targets counts as wrong; an ambiguous answer missing one of them as missed).

Output lines are ``<metric>: <value> <unit>``; the last two are
``address_resolve_cold_start: <value> s`` and ``address_resolve: <value> per_s``.
"""

import os
import subprocess
import sys
import time

# bench/ holds a calendar.py that would shadow the standard library's: drop this
# folder from the import path, then add the repo root.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != HERE]
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bcci.settings")

import random  # noqa: E402
import statistics  # noqa: E402

import django  # noqa: E402

django.setup()

N_ADDRESSES = 5000
PASSES = 3
SEED = 2025
COLD_ADDRESS = "12 Trần Hưng Đạo, P. Mỹ Bình, TP Long Xuyên, An Giang"

STREETS = [
    "Trần Hưng Đạo", "Lê Lợi", "Nguyễn Huệ", "Hai Bà Trưng", "Lý Thường Kiệt", "Nguyễn Trãi", "Quang Trung",
    "Hùng Vương", "Điện Biên Phủ", "Phan Đình Phùng", "Quốc lộ 1A", "Tỉnh lộ 10", "đường 30/4", "Tôn Đức Thắng",
]
HAMLETS = ["Ấp 3", "Thôn Đông", "Tổ 5, Khu phố 2", "Xóm Mới", "Bản Nà", "Khóm 4"]
ABBREVIATIONS = {
    "phường": "P.", "xã": "X.", "thị trấn": "TT.", "quận": "Q.", "huyện": "H.", "thị xã": "TX.", "thành phố": "TP.",
}


def cold_start_child() -> None:
    """In a fresh process: the first resolve call, with imports and index building."""
    from geo.services import resolve_address

    assert "vietnam_provinces" not in sys.modules, "the package must not be imported at start-up"
    begin = time.perf_counter()
    resolve_address(COLD_ADDRESS)
    print(f"{time.perf_counter() - begin:.6f}")


def measure_cold_start() -> float:
    child = subprocess.run([sys.executable, os.path.abspath(__file__), "--cold"], capture_output=True, text=True)
    if child.returncode:
        sys.exit(f"cold-start child failed:\n{child.stderr}")
    return float(child.stdout.strip().splitlines()[-1])


def ensure_units() -> None:
    from django.core.management import call_command

    from geo.models import Commune
    from geo.services import load_units

    call_command("migrate", verbosity=0)
    if not Commune.objects.exists():
        load_units()


def _short(name: str, division_type: str) -> str:
    """ "Phường Mỹ Bình" -> "P. Mỹ Bình"; "Thành phố Long Xuyên" -> "TP. Long Xuyên"."""
    for word, abbreviation in ABBREVIATIONS.items():
        if division_type == word and name.lower().startswith(word):
            return f"{abbreviation} {name[len(word):].strip()}"
    return name


def _bare(name: str) -> str:
    """ "Tỉnh An Giang" -> "An Giang"."""
    for prefix in ("Tỉnh ", "Thành phố "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def build_addresses(rng: random.Random, n: int) -> list[tuple[str, str, frozenset[str]]]:
    """(style, address, expected new commune codes) — from the package's pre-2025 wards and the new list."""
    import json

    from vietnam_provinces import NESTED_DIVISIONS_JSON_PATH
    from vietnam_provinces._ward_conversion_2025 import OLD_TO_NEW
    from vietnam_provinces.legacy._lookup import DISTRICT_MAPPING, PROVINCE_MAPPING, WARD_MAPPING

    from geo.text import fold

    wards = list(WARD_MAPPING.values())
    with open(NESTED_DIVISIONS_JSON_PATH, encoding="utf-8") as handle:
        new_units = [(w, p) for p in json.load(handle) for w in p["wards"]]
    result = []
    for i in range(n):
        style = i % 10
        if style == 9:  # new two-level address
            ward, province = rng.choice(new_units)
            text = f"{rng.randint(1, 300)} {rng.choice(STREETS)}, {ward['name']}, {province['name']}"
            result.append(("new", text, frozenset({f"{ward['code']:05d}"})))
            continue
        ward = rng.choice(wards)
        district = DISTRICT_MAPPING[int(ward.district_code)]
        province = PROVINCE_MAPPING[int(district.province_code)]
        entry = OLD_TO_NEW.get(int(ward.code))
        expected = frozenset(f"{w.code:05d}" for w in entry.new_wards) if entry else frozenset()
        street = f"{rng.randint(1, 300)} {rng.choice(STREETS)}"
        w, d, p = ward.name, district.name, province.name
        ws, ds = _short(w, ward.division_type.value), _short(d, district.division_type.value)
        styles = {
            0: ("full", f"{w}, {d}, {p}"),
            1: ("street", f"{street}, {w}, {d}, {p}"),
            2: ("abbreviated", f"{street}, {ws}, {ds}, {_bare(p)}"),
            3: ("no_diacritics", fold(f"{street}, {w}, {d}, {p}")),
            4: ("hamlet", f"{rng.choice(HAMLETS)}, {w}, {d}, {p}, Việt Nam"),
            5: ("no_district", f"{street}, {w}, {p}"),
            6: ("no_commas", f"{w} {d} {p}"),
            7: ("street_no_comma", f"{street} {ws}, {ds}, {_bare(p)}"),
            8: ("abbreviated_no_diacritics", fold(f"{ws}, {ds}, {_bare(p)}")),
        }
        label, text = styles[style]
        result.append((label, text, expected))
    return result


def throughput(func, addresses: list[str]) -> float:
    rates = []
    for _ in range(PASSES):
        begin = time.perf_counter()
        for address in addresses:
            func(address)
        rates.append(len(addresses) / (time.perf_counter() - begin))
    return statistics.median(rates)


def main() -> None:
    from geo import resolver
    from geo.services import resolve_address

    ensure_units()  # before the cold start: the child process queries the communes
    cold = measure_cold_start()
    rng = random.Random(SEED)
    samples = build_addresses(rng, N_ADDRESSES)
    addresses = [a for _, a, _ in samples]

    # Warm-up (builds the tables in this process), then the shares and the correctness check.
    counts = {resolver.RESOLVED: 0, resolver.AMBIGUOUS: 0, resolver.NOT_FOUND: 0}
    wrong = missed = 0
    by_style: dict[str, list[int]] = {}
    for style, address, expected in samples:
        result = resolver.resolve(address)
        counts[result.status] += 1
        codes = {c.code for c in result.candidates}
        stats = by_style.setdefault(style, [0, 0])
        stats[1] += 1
        if result.status == resolver.RESOLVED:
            stats[0] += 1
            if expected and result.code not in expected:
                wrong += 1
        elif result.status == resolver.AMBIGUOUS and expected and not expected <= codes:
            missed += 1
    resolve_address(addresses[0])

    service_rate = throughput(resolve_address, addresses)
    resolver_rate = throughput(resolver.resolve, addresses)

    total = len(samples)
    print(f"address_resolve_addresses: {total} count")
    print(f"address_resolve_resolved_share: {100 * counts[resolver.RESOLVED] / total:.1f} %")
    print(f"address_resolve_ambiguous_share: {100 * counts[resolver.AMBIGUOUS] / total:.1f} %")
    print(f"address_resolve_not_found_share: {100 * counts[resolver.NOT_FOUND] / total:.1f} %")
    for style, (resolved, n) in sorted(by_style.items()):
        print(f"address_resolve_resolved_share_{style}: {100 * resolved / n:.1f} %")
    print(f"address_resolve_wrong: {wrong} count")
    print(f"address_resolve_ambiguous_missing_official_target: {missed} count")
    print(f"address_resolve_resolver_only: {resolver_rate:.0f} per_s")
    print(f"address_resolve_cold_start: {cold:.3f} s")
    print(f"address_resolve: {service_rate:.0f} per_s")


if __name__ == "__main__":
    if "--cold" in sys.argv:
        cold_start_child()
    else:
        main()
