"""A small, realistic history of resolved tickets for retrieval tests (phrased like the demo data)."""

RESOLVED = [
    (
        "printer-jam",
        "printers",
        "Reception printer says paper jam but there is no paper stuck",
        "The HP LaserJet at reception shows 'paper jam in tray 2' all morning. We opened every door, "
        "nothing is stuck.",
        "Dust on the tray 2 paper sensor gave a false jam. Cleaned the sensor with compressed air and "
        "updated the firmware.",
    ),
    (
        "outlook-password",
        "email",
        "Outlook keeps asking for my password",
        "Since Monday Outlook pops up a credentials window every few minutes even though I type the "
        "right password.",
        "Stale cached credentials after the password change. Removed the Office entries from Windows "
        "Credential Manager and signed in again with modern auth.",
    ),
    (
        "vpn-drops",
        "network",
        "VPN disconnects every 10 minutes when working from home",
        "FortiClient connects fine but drops after about ten minutes, then I have to reconnect.",
        "Home router's SIP ALG was killing the idle tunnel. Raised the FortiClient keepalive and told the "
        "user to disable SIP ALG.",
    ),
    (
        "shared-drive",
        "accounts",
        "S: drive missing from File Explorer",
        "After logging in this morning the shared S: drive is gone. Colleagues still have it.",
        "The user had been removed from the Finance-Share security group during an audit. Re-added the "
        "group and ran gpupdate /force.",
    ),
    (
        "wifi-meeting-room",
        "network",
        "No Wi-Fi signal in the large meeting room",
        "Laptops show no wireless networks or one bar in meeting room 3, fine in the corridor.",
        "The ceiling access point in room 3 had lost PoE power. Reseated the patch cable in the switch "
        "and the AP came back.",
    ),
    (
        "laptop-boot",
        "hardware",
        "Laptop will not turn on",
        "Pressed the power button and nothing happens, no lights. It was charging all night.",
        "Drained the residual charge (hold power 30 s with the charger unplugged), then it booted. Faulty "
        "charger replaced.",
    ),
    (
        "account-locked",
        "accounts",
        "Locked out of my account",
        "I typed a wrong password a few times and now Windows says my account is locked.",
        "Unlocked the account in Active Directory and reset the password; the old phone was still trying "
        "the previous password against Exchange.",
    ),
    (
        "scan-to-email",
        "printers",
        "Scans to email never arrive",
        "The copier says the scan was sent but nothing reaches my inbox, not even in junk.",
        "The copier's SMTP relay password had expired. Updated the scan-to-email SMTP credentials on "
        "the copier web page.",
    ),
    (
        "teams-camera",
        "software",
        "Camera not working in Teams calls",
        "Others only see my initials in Teams, the webcam light never turns on.",
        "The privacy shutter switch in Windows camera settings blocked desktop apps. Allowed camera "
        "access for desktop apps.",
    ),
    (
        "office-activation",
        "software",
        "Office says unlicensed product",
        "Word and Excel show a red bar 'Unlicensed Product' and editing is disabled.",
        "The user had no Microsoft 365 licence assigned after the tenant migration. Assigned an E3 "
        "licence and signed out and back in.",
    ),
    (
        "slow-pc",
        "hardware",
        "Computer extremely slow since the update",
        "Everything takes ages to open after last night's Windows update, disk at 100%.",
        "Windows Search indexer was rebuilding after the update on an old HDD. Let it finish overnight "
        "and replaced the disk with an SSD.",
    ),
    (
        "phishing",
        "security",
        "Suspicious email asking to confirm my bank details",
        "I received an email that looks like it is from our bank asking me to log in via a link.",
        "Phishing. Reported to the security team, blocked the sender domain and purged the message from "
        "all mailboxes.",
    ),
]

# Queries phrased differently from the ticket they should find: (query, key of the expected ticket).
PARAPHRASES = [
    ("the front desk copier claims a jam yet the paper path is empty", "printer-jam"),
    ("Outlook constantly prompts me to re-enter my credentials", "outlook-password"),
    ("remote access tunnel keeps dropping out after a few minutes at home", "vpn-drops"),
    ("network share letter disappeared from my computer", "shared-drive"),
    ("wireless doesn't work in conference room 3", "wifi-meeting-room"),
    ("notebook is dead, no power light at all", "laptop-boot"),
    ("too many failed login attempts and now I can't sign in", "account-locked"),
    ("documents scanned on the multifunction device are not delivered to my mailbox", "scan-to-email"),
    ("my webcam shows nothing during video meetings", "teams-camera"),
    ("Excel is read-only and says the product is not activated", "office-activation"),
]
