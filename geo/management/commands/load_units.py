"""``manage.py load_units [--file PATH]``: load or reload the 34 provinces and 3,321 communes."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from geo.services import UnitsFileError, load_units

HELP = """Load the provinces and communes (default: the list shipped by the vietnam-provinces package).

Idempotent: a second run with the same list changes nothing. Units missing from the list are marked
retired (never deleted); units that come back are restored. Everything runs in one transaction: a
broken file changes nothing.

--file accepts JSON (UTF-8) in one of two shapes:
  1. the package's nested-divisions.json: a list of provinces
     [{"code": 91, "name": "Tỉnh An Giang", "division_type": "tỉnh",
       "wards": [{"code": 30307, "name": "Phường Long Xuyên", "division_type": "phường"}, ...]}, ...]
  2. {"provinces": [{"code": "91", "name": "Tỉnh An Giang", "division_type": "tỉnh"}, ...],
      "communes": [{"code": "30307", "name": "Phường Long Xuyên", "division_type": "phường",
                    "province_code": "91", "postal_code": "90000"}, ...]}
Codes are numbers or digit strings (stored zero-padded: 2 digits / 5 digits). division_type is optional
(taken from the name prefix); postal_code is optional."""


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name, subcommand, **kwargs):
        from argparse import RawDescriptionHelpFormatter

        kwargs.setdefault("formatter_class", RawDescriptionHelpFormatter)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("--file", dest="file", help="JSON file with the unit list (see above)")

    def handle(self, *args, **options):
        try:
            report = load_units(options.get("file"))
        except UnitsFileError as exc:
            raise CommandError(str(exc)) from None
        for label, counts in ((_("Tỉnh/thành phố"), report.provinces), (_("Xã/phường/đặc khu"), report.communes)):
            self.stdout.write(
                _("%(label)s: thêm %(added)d, đổi tên/loại %(renamed)d, giải thể %(retired)d, "
                  "khôi phục %(restored)d, không đổi %(unchanged)d")
                % {"label": label, "added": counts.added, "renamed": counts.renamed, "retired": counts.retired,
                   "restored": counts.restored, "unchanged": counts.unchanged}
            )
        if report.changed:
            self.stdout.write(self.style.SUCCESS(_("Đã nạp từ %(source)s.") % {"source": report.source}))
        else:
            self.stdout.write(_("Không có thay đổi (%(source)s).") % {"source": report.source})
