from django.db import migrations, models

from fangkong.core.migration_operations import AddIndexOnline, RemoveIndexOnline


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run in a transaction; gates keep
    # posting entries while this migration builds the index.
    atomic = False

    dependencies = [
        ("checkpoints", "0001_initial"),
    ]

    operations = [
        AddIndexOnline(
            model_name="entry",
            index=models.Index(
                fields=["subject_key", "checkpoint", "direction", "observed_at", "id"],
                name="entry_subject_passage",
            ),
        ),
        RemoveIndexOnline(model_name="entry", name="entry_subject_observed"),
    ]
