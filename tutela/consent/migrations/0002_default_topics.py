"""The newsletter topics offered by default (the DPO adds or retires topics in the admin)."""

from django.db import migrations

TOPICS = [
    ("news", "Group news", "Actualités du groupe", "Groepsnieuws"),
    ("events", "Events and training", "Événements et formations", "Evenementen en opleidingen"),
    ("services", "Our services and offers", "Nos services et offres", "Onze diensten en aanbiedingen"),
]


def add_topics(apps, schema_editor):
    topic = apps.get_model("consent", "NewsletterTopic")
    for key, en, fr, nl in TOPICS:
        topic.objects.get_or_create(key=key, defaults={"name_en": en, "name_fr": fr, "name_nl": nl})


def remove_topics(apps, schema_editor):
    apps.get_model("consent", "NewsletterTopic").objects.filter(key__in=[t[0] for t in TOPICS]).delete()


class Migration(migrations.Migration):
    dependencies = [("consent", "0001_initial")]

    operations = [migrations.RunPython(add_topics, remove_topics)]
