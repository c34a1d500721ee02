"""Indexes for the public catalogue search (catalog.search).

* On every database, two covering indexes, (status, search_text, province_id,
  receive_by_post, return_by_post) and the same led by province_id. A search reads
  only an index, never the wide table rows, and walks it in result order
  (search_text = "code name", code first) so that the first page of a common word,
  or a code prefix, is found without sorting every match. On PostgreSQL search_text
  is indexed with the "C" collation, the byte-wise order catalog.search sorts by.
* On PostgreSQL: a trigram GIN index on search_text, so that ``LIKE '%word%'``
  (the "every word must occur" match) is answered from the index. It needs the
  pg_trgm extension: created here when missing and allowed; when the database
  user may not create it, the index is skipped (searches still work, slower) and
  a warning says so.

Written as SQL in RunPython, not as model indexes: the collation, the extension and
the operator class differ by database, and keeping them out of the model state
keeps ``makemigrations`` quiet.
"""

import logging

from django.db import DatabaseError, migrations, transaction

logger = logging.getLogger(__name__)

TABLE = "catalog_procedureversion"
TRIGRAM_INDEX = "catalog_pv_search_trgm"
COVERING_INDEXES = {  # name: columns, with {text} for search_text in the vendor's byte-wise collation
    "catalog_pv_search_idx": "status, {text}, province_id, receive_by_post, return_by_post",
    "catalog_pv_province_search_idx": "province_id, status, {text}, receive_by_post, return_by_post",
}


def create_indexes(apps, schema_editor):
    connection = schema_editor.connection
    postgresql = connection.vendor == "postgresql"
    text = 'search_text COLLATE "C"' if postgresql else "search_text"
    with connection.cursor() as cursor:
        for name, columns in COVERING_INDEXES.items():
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {TABLE} ({columns.format(text=text)})")
        if postgresql:
            create_trigram_index(connection, cursor)


def create_trigram_index(connection, cursor):
    cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
    if cursor.fetchone() is None:
        try:
            with transaction.atomic(using=connection.alias):  # a savepoint: a refusal must not abort the migration
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DatabaseError as exc:
            logger.warning(
                "pg_trgm is not available (%s): the catalogue search works without its trigram index, "
                "but slower. Once an administrator has run CREATE EXTENSION pg_trgm, run "
                "`manage.py migrate catalog 0002` then `manage.py migrate catalog` to add it.", exc,
            )
            return
    cursor.execute(f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON {TABLE} USING gin (search_text gin_trgm_ops)")


def drop_indexes(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for name in [*COVERING_INDEXES, TRIGRAM_INDEX]:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0002_importbatch"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes),
    ]
