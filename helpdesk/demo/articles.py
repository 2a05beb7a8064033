"""Knowledge-base content: global articles (no site) written by hand, and per-site articles built from the
site's own IT (its VPN, Wi-Fi, printers) and from the archetypes that only happen at that site."""

GLOBAL_ARTICLES = [
    {
        "slug": "spot-and-report-phishing",
        "title": "How to spot and report a phishing email",
        "category": "security",
        "body": """Phishing emails try to get you to type your password, open a file or pay a fake invoice.

## Warning signs
- The sender's address does not match the company it claims to be (e.g. `micros0ft-support.co`).
- Urgency: *"your mailbox will be deleted in 24 hours"*, *"invoice overdue"*.
- A request to **change bank details** for a supplier: always phone the supplier on a number you
  already have.
- Links whose address (hover over them) goes somewhere unexpected.

## What to do
1. Do not click links or open attachments.
2. Use **Report** (Outlook) or **Report phishing** (Gmail), then delete the message.
3. If you clicked and typed your password, **change it now** and raise an urgent ticket: we will
   check your sign-ins and revoke sessions.

Reporting a false alarm is never a problem. Not reporting a real one can be.
""",
    },
    {
        "slug": "password-guidance",
        "title": "Choosing a strong password (and what to do if you are locked out)",
        "category": "accounts",
        "body": """We recommend **three random words** with a number or symbol, at least 14 characters:
`Kettle-Orbit-Harbour7`. Never reuse your work password anywhere else.

## Locked out?
- The lock clears by itself after **15 minutes**.
- If you enrolled in self-service password reset, reset it from your phone.
- Otherwise call the helpdesk. We always verify who you are (call-back to the number we hold)
  before resetting a password, so please do not be offended when we ask.
""",
    },
    {
        "slug": "mfa-new-phone",
        "title": "Moving your authenticator app to a new phone",
        "category": "accounts",
        "body": """Before you wipe or trade in your old phone:

1. Install the authenticator app (Microsoft or Google Authenticator) on the new phone.
2. Sign in at your account's security info page and **add the new phone** as a method.
3. Check you can approve a sign-in on the new phone, then remove the old one.

If the old phone is lost or broken, call us. We verify you by video call, reset your MFA and you
register the new phone the next time you sign in.
""",
    },
    {
        "slug": "headset-not-working-in-meetings",
        "title": "No sound or microphone in Teams / Google Meet",
        "category": "phones",
        "body": """Most audio problems are the meeting app using the wrong device.

1. In the meeting, open **Device settings** (Teams) or **Settings > Audio** (Meet).
2. Pick your headset for both **speaker** and **microphone**.
3. Still nothing? Unplug the headset, plug it back in and rejoin.
4. In Windows, right-click the speaker icon > **Sound settings** and make the headset the default.

Bluetooth headsets: make sure they are not also connected to your phone.
""",
    },
    {
        "slug": "restart-before-ticket",
        "title": "Five things to try before raising a ticket",
        "category": "other",
        "body": """These fix a surprising number of problems:

1. **Restart** the computer properly (Start > Power > Restart, not just closing the lid).
2. Check the **cables** and that the device is switched on at the wall.
3. Try another **browser** or an incognito window for website problems.
4. Check the status page / ask a colleague: if everyone is affected, one ticket is enough.
5. Note the **exact error message** and your computer name (on the sticker); a screenshot helps.
""",
    },
    {
        "slug": "working-safely-on-public-wifi",
        "title": "Working safely on hotel, train and café Wi-Fi",
        "category": "network",
        "body": """Public Wi-Fi is fine for work **if** you connect to the company VPN first.

- Join the Wi-Fi, accept the portal page, then start the VPN before opening work files.
- Never use a USB stick or charging cable you did not bring.
- Lock your screen (Windows key + L) whenever you step away.
- If your laptop is lost or stolen, tell us straight away: we can wipe it remotely.
""",
    },
    {
        "slug": "printer-queue-stuck",
        "title": "Clearing a stuck print queue on Windows",
        "category": "printers",
        "body": """If jobs sit in the queue and the printer says *Offline*:

1. Check the printer's own screen for an error (paper, toner, jam).
2. Restart your computer; this restarts the print spooler.
3. Open **Settings > Bluetooth & devices > Printers**, choose the printer, **Open print queue** and
   cancel everything.
4. Print again.

If it is still offline, raise a ticket with the printer name and your computer name: the printer may
have moved to a new network address.
""",
    },
    {
        "slug": "lost-or-stolen-device",
        "title": "Lost or stolen laptop or phone: what to do",
        "category": "security",
        "body": """Tell the helpdesk **immediately**, day or night (urgent ticket or phone).

We will sign you out of every session, reset your password and wipe the device remotely. Laptops are
encrypted with BitLocker, so the data on the disk is safe, but signed-in apps are not.

Report a theft to the police and give us the crime reference number for the insurer.
""",
    },
    {
        "slug": "requesting-new-software",
        "title": "Requesting new software (draft)",
        "category": "software",
        "state": "draft",
        "body": """Raise a ticket with the software name, why you need it and who approved the cost.

We check licensing and security, then install it remotely; most requests take one to two working
days. *To do: add the list of pre-approved apps.*
""",
    },
]

# Per-site articles built from the site's IT profile (see cast.SITES[...]["it"]).
SITE_ARTICLE_TEMPLATES = [
    {
        "slug": "working-from-home-vpn",
        "title": "Working from home: connecting to {vpn}",
        "category": "network",
        "body": """You need the VPN to reach {file_share} and {lob_app} from outside the office.

1. Connect to your home internet and check a website loads.
2. Open **{vpn}** and click **Connect**.
3. Sign in with your normal work password, then approve the **{mfa_app}** prompt within 60 seconds.
4. Wait for *Connected*; then open your files as usual.

## If it will not connect
- Changed your password recently? Clear the saved password in {vpn} and type the new one.
- Error *"Credential or SSO login failed"* usually means an old saved password.
- Still stuck: raise a ticket with a screenshot of the error.
""",
    },
    {
        "slug": "wifi-networks",
        "title": "Wi-Fi at {site_name}: which network to use",
        "category": "network",
        "body": """- **{wifi}**: staff laptops and phones. Joins automatically on managed devices.
- **{guest_wifi}**: visitors only. It cannot reach printers, {lob_app} or {file_share}.

If a device that should be on **{wifi}** ends up on **{guest_wifi}**, forget the guest network on it.
Wi-Fi dropping in one room? Tell us which room and when: we check the access point's logs.
""",
    },
]

# Site-only archetypes that also get a KB article: (site slug, archetype key, state).
SITE_ARCHETYPE_ARTICLES = [
    ("hartwell-quinn", "hq-imanage-addin-missing", "published"),
    ("hartwell-quinn", "hq-imanage-checked-out", "draft"),
    ("riverside-clinic", "rfc-label-printer-ip", "published"),
    ("riverside-clinic", "rfc-smartcard", "published"),
    ("oakfield-primary", "oak-promethean-no-input", "published"),
    ("bramble-stores", "brm-receipt-printer", "published"),
    ("bramble-stores", "brm-card-terminal", "draft"),
    ("lindqvist-accounting", "lq-sage-data-in-use", "published"),
]
