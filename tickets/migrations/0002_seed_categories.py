from django.db import migrations

CATEGORIES = [
    ("network", "Network", "Wi-Fi, VPN, internet access, switches and firewalls"),
    ("printers", "Printers", "Printing, scanning and multifunction devices"),
    ("email", "Email", "Mailboxes, delivery, calendars and shared inboxes"),
    ("accounts", "Accounts", "Logins, passwords, MFA and permissions"),
    ("hardware", "Hardware", "Laptops, desktops, monitors and peripherals"),
    ("software", "Software", "Installing, updating and fixing applications"),
    ("security", "Security", "Phishing, malware, suspicious activity and access reviews"),
    ("phones", "Phones", "Desk phones, mobiles and telephony"),
    ("other", "Other", "Anything else"),
]


def seed(apps, schema_editor):
    Category = apps.get_model("tickets", "Category")
    for slug, name, description in CATEGORIES:
        Category.objects.update_or_create(slug=slug, defaults={"name": name, "description": description})


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
