from django.db import migrations, models

# SQLite: an external-content FTS5 table over the stored terms, kept in step by triggers (so no write
# path can leave it stale). The unicode61 tokenizer takes each space-separated piece as one token.
SQLITE_FORWARDS = [
    """CREATE VIRTUAL TABLE search_document_fts USING fts5(
        title_terms, body_terms, content='search_document', content_rowid='id', tokenize='unicode61'
    )""",
    """CREATE TRIGGER search_document_fts_insert AFTER INSERT ON search_document BEGIN
        INSERT INTO search_document_fts(rowid, title_terms, body_terms)
        VALUES (new.id, new.title_terms, new.body_terms);
    END""",
    """CREATE TRIGGER search_document_fts_delete AFTER DELETE ON search_document BEGIN
        INSERT INTO search_document_fts(search_document_fts, rowid, title_terms, body_terms)
        VALUES ('delete', old.id, old.title_terms, old.body_terms);
    END""",
    """CREATE TRIGGER search_document_fts_update AFTER UPDATE OF title_terms, body_terms ON search_document BEGIN
        INSERT INTO search_document_fts(search_document_fts, rowid, title_terms, body_terms)
        VALUES ('delete', old.id, old.title_terms, old.body_terms);
        INSERT INTO search_document_fts(rowid, title_terms, body_terms)
        VALUES (new.id, new.title_terms, new.body_terms);
    END""",
]
SQLITE_BACKWARDS = [
    "DROP TRIGGER IF EXISTS search_document_fts_update",
    "DROP TRIGGER IF EXISTS search_document_fts_delete",
    "DROP TRIGGER IF EXISTS search_document_fts_insert",
    "DROP TABLE IF EXISTS search_document_fts",
]

# PostgreSQL: one generated tsvector per column ('simple' keeps each piece as one lexeme), each with a
# GIN index; queried with phraseto_tsquery('simple', …) so a term's pieces must stand together.
POSTGRESQL_FORWARDS = [
    """ALTER TABLE search_document ADD COLUMN title_vector tsvector
        GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, title_terms)) STORED""",
    """ALTER TABLE search_document ADD COLUMN body_vector tsvector
        GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, body_terms)) STORED""",
    "CREATE INDEX search_document_title_vector ON search_document USING gin (title_vector)",
    "CREATE INDEX search_document_body_vector ON search_document USING gin (body_vector)",
]
POSTGRESQL_BACKWARDS = [
    "DROP INDEX IF EXISTS search_document_body_vector",
    "DROP INDEX IF EXISTS search_document_title_vector",
    "ALTER TABLE search_document DROP COLUMN IF EXISTS body_vector",
    "ALTER TABLE search_document DROP COLUMN IF EXISTS title_vector",
]


class VendorRunSQL(migrations.RunSQL):
    """RunSQL that runs only on one database vendor ("sqlite" or "postgresql")."""

    def __init__(self, vendor, sql, reverse_sql):
        super().__init__(sql, reverse_sql)
        self.vendor = vendor

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Document",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(max_length=32, verbose_name="kind")),
                ("object_id", models.BigIntegerField(verbose_name="object id")),
                ("title", models.TextField(verbose_name="title")),
                ("body", models.TextField(blank=True, verbose_name="body")),
                ("url", models.CharField(max_length=500, verbose_name="link")),
                ("title_terms", models.TextField(blank=True)),
                ("body_terms", models.TextField(blank=True)),
                ("fingerprint", models.CharField(max_length=40)),
                ("indexed_at", models.DateTimeField(verbose_name="indexed at")),
            ],
            options={
                "verbose_name": "search document",
                "verbose_name_plural": "search documents",
                "ordering": ("kind", "object_id"),
                "constraints": [
                    models.UniqueConstraint(fields=("kind", "object_id"), name="search_document_kind_object_unique")
                ],
            },
        ),
        VendorRunSQL("sqlite", SQLITE_FORWARDS, SQLITE_BACKWARDS),
        VendorRunSQL("postgresql", POSTGRESQL_FORWARDS, POSTGRESQL_BACKWARDS),
    ]
