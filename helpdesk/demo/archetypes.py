"""The recurring problems behind the demo tickets.

An archetype is one real-world fault: how customers phrase it (several titles, several descriptions in
different words), the category and usual priority, and how the MSP fixes it. The fix is written per site
where the sites differ, so the same problem at the same site is always fixed the same way; that is what
grounded triage and reply drafts should learn from. `steps` are self-help steps (used by the chat
assistant when it deflects and by the KB); `question`/`answer` a clarifying exchange on the ticket.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from helpdesk.demo.cast import GOOGLE_SITES, M365_SITES


@dataclass(frozen=True)
class Archetype:
    key: str
    category: str
    priority: str
    titles: tuple[str, ...]
    descriptions: tuple[str, ...]
    resolution: dict[str, str]
    sites: tuple[str, ...] = ()
    weight: float = 1.0
    hours: tuple[float, float] = (1.0, 30.0)
    steps: tuple[str, ...] = ()
    question: str = ""
    answer: str = ""
    slots: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Titles and descriptions describe different sub-problems: the n-th title goes with the n-th description.
    paired: bool = False

    def resolution_for(self, site_slug: str) -> str:
        return self.resolution.get(site_slug) or self.resolution["*"]


def _a(key, category, priority, titles, descriptions, resolution, **kw) -> Archetype:
    if isinstance(resolution, str):
        resolution = {"*": resolution}
    return Archetype(key, category, priority, tuple(titles), tuple(descriptions), resolution, **kw)


HQ, RFC, OAK, BRM, LQ = (
    "hartwell-quinn",
    "riverside-clinic",
    "oakfield-primary",
    "bramble-stores",
    "lindqvist-accounting",
)

# Problems on a shop floor happen in a shop, on a till: not at head office.
SHOP_FLOOR = {
    "room": (
        "Shop 03 (Kingsway)",
        "Shop 07 (Harbour Street)",
        "Shop 11 (Millgate)",
        "Shop 05 (Station Road)",
    ),
    "device": ("BRM-S03-TILL1", "BRM-S07-TILL2", "BRM-S11-TILL1", "BRM-S05-TILL2"),
}

ARCHETYPES: list[Archetype] = [
    # ---------------------------------------------------------------- network
    _a(
        "wifi-drops",
        "network",
        "normal",
        [
            "Wi-Fi keeps dropping in {room}",
            "{wifi} disconnecting every few minutes",
            "wifi unstable on my laptop",
            "Losing wireless connection constantly",
        ],
        [
            "My laptop keeps dropping off {wifi} when I'm in {room}. It reconnects after a minute or so but "
            "it kills my {meetings} calls every time.",
            "The wifi is really flaky today. Connected, then 'No internet, secured', then back again. "
            "Laptop is {device}.",
            "Since this morning I keep losing the wireless. Other people near me seem fine so it might just "
            "be my machine? It's a {laptop}.",
        ],
        {
            "*": "Wireless adapter on {device} was on an old Intel driver that drops on roaming between "
            "access points. Updated the Wi-Fi driver, set roaming aggressiveness to medium and "
            "forgot/re-joined {wifi}. Stable for the rest of the day, checked the AP logs the day after: "
            "no more disconnects.",
            BRM: "The shop access point was on channel 1 next to the neighbour's networks. Moved it to a "
            "clean 5 GHz channel in the Meraki dashboard and re-joined {device} to {wifi}; no drops since.",
        },
        steps=(
            "Turn Wi-Fi off and on again, or forget {wifi} and join it again.",
            "Restart the laptop (a full restart, not just closing the lid).",
            "If it keeps dropping, note the time and where you were sitting and raise a ticket.",
        ),
        question="Does it happen everywhere in the office or only in {room}? And roughly what time did it "
        "last drop?",
        answer="Mostly in {room} I think. Last one was about 10 minutes ago.",
    ),
    _a(
        "vpn-cant-connect",
        "network",
        "high",
        [
            "Can't connect to VPN from home",
            "{vpn} won't connect",
            "VPN error - working from home today",
            "VPN stuck on 'connecting'",
        ],
        [
            "Working from home today and {vpn} just sits on 'Connecting...' and then fails. I've restarted "
            "twice. I can't get to {file_share} without it.",
            'VPN gives an error when I try to connect: "{error}". Home internet is fine, I can browse.',
            "Hi, the vpn isn't working for me. Username and password are right (same as my computer). It was "
            "fine last week.",
        ],
        {
            "*": "User's password had been changed on Friday but the saved credentials in {vpn} were the old "
            "ones, so the gateway rejected the login and then locked the MFA prompt. Cleared the saved "
            "password in the client, reconnected with the new password and approved the MFA prompt. "
            "Connected and mapped {file_share} fine.",
            OAK: "NetExtender certificate on the laptop had expired after the SonicWall firmware update. "
            "Re-installed NetExtender from the school's portal, accepted the new certificate and connected. "
            "Checked Arbor and the Staff shared drive are reachable.",
        },
        slots={
            "error": (
                "The VPN server did not respond",
                "Credential or SSO login failed (-7200)",
                "Authentication failed, please check your credentials",
                "Gateway not responding",
            )
        },
        steps=(
            "Check your home internet works (open any website).",
            "If your password changed recently, clear the saved password in {vpn} and type the new one.",
            "Approve the {mfa_app} prompt on your phone within 60 seconds.",
            "Restart the laptop and try once more before raising a ticket.",
        ),
        question="Have you changed your password recently? Could you send a screenshot of the error?",
        answer="Yes I changed it on Friday when it asked me to. Screenshot attached.",
        hours=(0.5, 6),
    ),
    _a(
        "internet-down-office",
        "network",
        "urgent",
        [
            "Internet down in the whole office",
            "No internet - everyone affected",
            "URGENT: office offline",
            "Nobody can get online",
        ],
        [
            "The internet has gone down for everyone. Emails aren't coming in and nothing loads. The router "
            "lights look different from normal.",
            "Whole office is offline since about {time}. Phones are still working (I think). Can someone "
            "look asap please?",
            "We've lost internet across the building. Tried turning the router off and on, no change.",
        ],
        {
            "*": "ISP outage on the {isp} line (fault confirmed by the provider, fibre cut in the street). "
            "{firewall} failed over to the backup link after we enabled the secondary WAN rule; the "
            "primary line came back the same afternoon and traffic moved back automatically.",
            BRM: "The shop's fixed line was down (Vodafone fault ref raised). The {firewall} should have "
            "failed over to 4G but the SIM had run out of data allowance; topped up the SIM, confirmed the "
            "tills took card payments over 4G, and the line was fixed by Vodafone next morning.",
        },
        slots={"time": ("9:15", "10 past 2", "half 11", "8:40", "lunchtime")},
        hours=(0.5, 5),
        weight=0.6,
    ),
    _a(
        "shared-drive-not-mapped",
        "network",
        "normal",
        [
            "Can't see {file_share}",
            "Shared drive missing from my computer",
            "Lost access to the shared files",
        ],
        [
            "{file_share} has disappeared from This PC. I need it for a document I'm working on.",
            "When I click the shared drive it says it's not accessible / network path not found. Was fine "
            "yesterday.",
            "The shared folders are gone from my laptop ({device}) after the restart this morning.",
        ],
        {
            "*": "Drive mapping is pushed by group policy at logon; the laptop had logged on before the VPN/"
            "network was up so the mapping was skipped. Ran gpupdate /force and logged off/on: {file_share} "
            "back. Set 'Always wait for the network at computer startup and logon' on the device.",
            RFC: "The Practice shared drive shortcut in Google Drive for desktop had been removed. Re-added "
            "the shared drive in Drive for desktop and signed in again; files visible again.",
            BRM: "The Buying library shortcut had been removed from the user's OneDrive. Re-added it with "
            "'Add shortcut to My files' from the SharePoint site and let OneDrive sync; files back in "
            "Explorer.",
            OAK: "The Staff shared drive is a Google shared drive; the teacher had been removed from the "
            "staff group in the Google Admin console during the Year group changes. Added back to "
            "staff@ group, drive reappeared within 10 minutes.",
        },
        steps=("Restart the computer while connected to the office network (or VPN at home).",),
        hours=(0.5, 8),
    ),
    _a(
        "slow-network-file-open",
        "network",
        "low",
        [
            "Everything is really slow opening files",
            "Network slow this afternoon",
            "files taking ages to open from {file_share}",
        ],
        [
            "Opening documents from {file_share} takes about a minute each today. Internet seems ok.",
            "Is the network slow for anyone else? Saving a document to the shared drive spins forever.",
            "Very slow. Not sure if it's my pc or the server. Opening a 2MB file takes 40 seconds.",
        ],
        {
            "*": "The overnight backup job had overrun into working hours and was saturating {file_server}'s "
            "disk. Paused the job, moved the backup window to 22:00 and enabled throttling. File opens back "
            "to under 2 seconds.",
        },
        hours=(2, 48),
        weight=0.7,
    ),
    # ---------------------------------------------------------------- printers
    _a(
        "printer-offline",
        "printers",
        "normal",
        [
            "Printer showing offline",
            "{printer_queue} offline - can't print",
            "Can't print to the main printer",
            "printer says offline again",
        ],
        [
            "The main printer in {printer_where} shows as 'Offline' on my computer. Other people can print "
            "to it I think.",
            "Trying to print and it just sits in the queue. Printer ({printer}) status says offline.",
            "Hello, nothing is printing from {device}. Jobs go in the queue and stay there.",
        ],
        {
            "*": "The print queue on the laptop was pointing at the printer's old WSD port. Removed the WSD "
            "port, re-added {printer_queue} as a Standard TCP/IP port and cleared the stuck jobs (restarted "
            "the Print Spooler). Test page printed.",
            OAK: "PaperCut client had stopped on the laptop so the held jobs never released. Restarted the "
            "PaperCut client, set it to start at logon, and re-added the Staffroom-Kyocera queue. Printed "
            "fine.",
        },
        steps=(
            "Check the printer is switched on and shows no error on its screen.",
            "Restart your computer; stuck jobs usually clear.",
            "If it still says offline, tell us the printer and your computer name.",
        ),
        hours=(0.5, 24),
        weight=1.3,
    ),
    _a(
        "printer-jam-or-toner",
        "printers",
        "low",
        [
            "Paper jam error won't clear on {printer}",
            "Printer printing streaks",
            "Toner low / need new toner",
        ],
        [
            "The big printer in {printer_where} keeps saying paper jam in tray 2 but there's no paper stuck "
            "anywhere, we've opened every door.",
            "Prints coming out with a grey streak down the left side. Toner says 10%.",
            "Could we order toner for the {printer}? Black is on 'replace soon'.",
        ],
        {
            "*": "Logged a service call with the copier supplier under the maintenance contract (engineer "
            "cleaned the pickup rollers in tray 2 and replaced the worn separation pad). Toner auto-ordered "
            "and delivered. Printing cleanly.",
        },
        paired=True,
        hours=(4, 96),
        weight=0.8,
    ),
    _a(
        "scan-to-email-fails",
        "printers",
        "normal",
        [
            "Scan to email not working",
            "Scanner not sending emails",
            "Scans not arriving",
        ],
        [
            "When I scan on the {printer} and pick my name, nothing arrives in my inbox. It says 'Send "
            "error' on the panel.",
            'Scan to email stopped working for the whole office it seems. Error on the copier: "{error}".',
            "I've been scanning documents all morning and none of them have come through. Spam checked.",
        ],
        {
            "*": "The copier authenticates to {email_platform} with an app password that had been revoked "
            "when basic SMTP auth was turned off. Switched the device to the SMTP relay connector (port 25 "
            "from the office IP), sent a test scan: delivered.",
            LQ: "The Ricoh's scan-to-folder password for the svc-scan account had expired. Reset it, set it "
            "to never expire, updated the address book entry on the Ricoh. Scans landing in "
            "P:\\Clients\\Scans again.",
        },
        slots={"error": ("SMTP authentication error", "Send error 0x14", "Cannot connect to server")},
        hours=(1, 24),
    ),
    _a(
        "new-printer-install",
        "printers",
        "low",
        [
            "Please add the printer to my laptop",
            "Need the {desk_printer} installed",
            "Can't find the printer in the list",
        ],
        [
            "I've moved desks and need the {desk_printer} near {room} adding to my laptop please.",
            "New laptop doesn't have any printers on it. Can you add the usual ones?",
            "When I go to print the printer isn't in the list. Computer is {device}.",
        ],
        {
            "*": "Deployed the printer via Intune/GPO printer policy to the user's device group and "
            "installed the driver from the approved package. Printed a test page with the user.",
            OAK: "Added the teacher to the PaperCut 'Staff' group so the Staffroom-Kyocera queue deploys, "
            "installed the PaperCut client. Test print released at the copier with their card.",
        },
        hours=(2, 72),
        weight=0.7,
    ),
    # ---------------------------------------------------------------- email
    _a(
        "outlook-password-prompt",
        "email",
        "normal",
        [
            "Outlook keeps asking for my password",
            "Password prompt in Outlook won't go away",
            "outlook asking me to sign in over and over",
        ],
        [
            "Outlook keeps popping up a box asking for my password. I type it in, it goes away and comes "
            "back 10 minutes later.",
            "Constant 'Need password' in the bottom bar of Outlook. Emails are still arriving I think.",
            "Since I changed my password yesterday Outlook won't stop asking me to log in.",
        ],
        {
            "*": "Stale credentials for the old password in Windows Credential Manager. Removed the "
            "MicrosoftOffice16 entries, signed out of Office and back in with modern auth, restarted "
            "Outlook. No more prompts.",
        },
        sites=M365_SITES,
        steps=(
            "Close Outlook.",
            "Open Credential Manager > Windows Credentials and remove the entries starting MicrosoftOffice.",
            "Open Outlook again and sign in with your current password.",
        ),
        hours=(0.5, 24),
        weight=1.2,
    ),
    _a(
        "mailbox-full",
        "email",
        "normal",
        [
            "Mailbox full warning",
            "Can't send emails - mailbox almost full",
            "Email storage full",
        ],
        [
            "I'm getting warnings that my mailbox is full and I can't send. I do keep a lot of email, I need "
            "most of it for clients.",
            "Outlook says my mailbox is over its limit. What do I delete?",
            "Warning: 'Your mailbox is almost full'. How can I get more space?",
        ],
        {
            "*": "Mailbox was at 49.6 GB of 50 GB. Enabled the online archive and an archive policy moving "
            "mail older than 2 years; ran Start-ManagedFolderAssistant. Mailbox down to 21 GB, sending fine.",
            RFC: "Google Workspace account storage was full (Drive + Gmail share 30 GB). Moved the user to "
            "the Business Standard licence (2 TB pooled) and cleared 6 GB of old scan attachments with them.",
            OAK: "Staff account was over the per-user storage limit set in the Admin console. Cleared large "
            "old video files from Drive with the teacher and raised their storage limit to 100 GB.",
        },
        hours=(1, 48),
    ),
    _a(
        "shared-mailbox-access",
        "email",
        "low",
        [
            "Need access to the {shared} mailbox",
            "Please add me to {shared}",
            "Shared mailbox not showing in Outlook",
        ],
        [
            "Can I have access to the {shared} mailbox please? I'm covering for {colleague} while they're on "
            "leave.",
            "I was given access to {shared} but it hasn't appeared in my {mail_client}.",
            "Manager has approved me to see {shared} - can you set it up?",
        ],
        {
            "*": "Granted Full Access and Send As on the {shared} shared mailbox (automapping on). Appeared "
            "in Outlook after a restart. Approval from the mailbox owner noted on the ticket.",
            RFC: "Added the user to the {shared} Google group as a manager with 'collaborative inbox' "
            "access; showed them how to open it from groups.google.com.",
            OAK: "Added the user to the {shared} Google group delegation; visible under their account "
            "switcher in Gmail.",
        },
        slots={"shared": ("info@", "accounts@", "reception@", "enquiries@")},
        hours=(1, 48),
    ),
    _a(
        "email-not-delivered",
        "email",
        "high",
        [
            "Emails to {client} bouncing back",
            "Client not getting my emails",
            "Undeliverable message when emailing {client}",
        ],
        [
            "Every email I send to {client} bounces with '550 5.7.1 message rejected'. It's urgent as we're "
            "meant to be sending them documents today.",
            "{client} say they haven't received anything from us for two days. No bounce messages my end.",
            "Getting an undeliverable report when I email one particular client. Other emails are fine.",
        ],
        {
            "*": "Recipient's filter was rejecting us because our SPF record was missing the new mailing "
            "service include. Added it to the SPF TXT record, confirmed DKIM signing is on, asked the "
            "recipient's IT to release the quarantined mails. Test mail delivered.",
        },
        slots={"client": ("Marlowe Holdings", "Carter Estates", "Penrose Ltd", "the council", "a supplier")},
        paired=True,
        hours=(1, 30),
        weight=0.8,
    ),
    _a(
        "spam-getting-through",
        "email",
        "low",
        [
            "Lots of spam getting through",
            "junk emails everyday",
            "Spam - can we block this sender",
        ],
        [
            "I'm getting loads of spam about invoices and parcel deliveries. Can we block them?",
            "Same company keeps emailing me rubbish even though I've unsubscribed. Please block.",
            "Is there a way to stop all these junk emails? About 20 a day now.",
        ],
        {
            "*": "Added the sending domains to the tenant block list, tightened the anti-spam policy bulk "
            "threshold from 7 to 5 and showed the user the Report button. Volume dropped to near zero.",
            RFC: "Added the domains to the blocked senders list in Gmail spam settings (Admin console) and "
            "enabled enhanced pre-delivery scanning.",
            OAK: "Blocked the sender domains in the Admin console and turned on enhanced pre-delivery "
            "message scanning for staff OU.",
        },
        hours=(2, 72),
        weight=0.8,
    ),
    _a(
        "calendar-sharing",
        "email",
        "low",
        [
            "Can't see {colleague}'s calendar",
            "Calendar sharing not working",
            "Need to book meetings in someone's calendar",
        ],
        [
            "I need to manage {colleague}'s diary but I can only see free/busy.",
            "Could you give me edit access to {colleague}'s calendar? They've asked me to handle bookings.",
            "When I open the other calendar it just shows grey blocks, no details.",
        ],
        {
            "*": "Set the user as a delegate (Editor) on {colleague}'s calendar with their approval; removed "
            "and re-added the shared calendar in Outlook so the new permission was picked up.",
            RFC: "Shared {colleague}'s calendar with 'Make changes to events' from the Google calendar "
            "settings and re-added it in the user's calendar list.",
            OAK: "Shared {colleague}'s calendar with 'Make changes to events' from Google calendar settings.",
        },
        hours=(1, 48),
        weight=0.7,
    ),
    # ---------------------------------------------------------------- accounts
    _a(
        "password-reset-locked",
        "accounts",
        "high",
        [
            "Locked out of my account",
            "Forgot password",
            "Account locked - can't log in",
            "can't log on to my computer",
        ],
        [
            "I've been locked out after getting my password wrong a few times. Can you unlock me please? "
            "I'm in {room}.",
            "Forgot my password over the weekend, can't get into anything.",
            "It says my account is locked when I try to log in to {device}.",
        ],
        {
            "*": "Verified the user by call-back to their mobile on file, unlocked the account and issued a "
            "temporary password (must change at next logon). Enrolled them for self-service password reset "
            "so they can do it themselves next time.",
        },
        steps=(
            "Wait 15 minutes: the lock clears by itself.",
            "Use self-service password reset (aka.ms/sspr) from your phone if you are enrolled.",
            "Otherwise call the helpdesk so we can verify you and reset it.",
        ),
        hours=(0.2, 3),
        weight=1.4,
    ),
    _a(
        "mfa-new-phone",
        "accounts",
        "high",
        [
            "New phone - authenticator not working",
            "MFA codes not working after phone upgrade",
            "Can't approve sign-in, changed my phone",
        ],
        [
            "I got a new phone and didn't move {mfa_app} across. Now I can't sign in to email on my laptop.",
            "My old phone broke. The sign-in asks for a code from the authenticator app which is on the old "
            "phone.",
            "Changed phones at the weekend, now it keeps asking me to approve a request I can't see.",
        ],
        {
            "*": "Verified the user by video call, cleared their registered MFA methods and required "
            "re-registration. Walked them through setting up {mfa_app} on the new phone; added their mobile "
            "number as a backup method.",
        },
        steps=(
            "If the old phone still works, move accounts across using the app's backup/transfer option.",
            "If not, call us: we verify you and reset your MFA, then you re-register on the new phone.",
        ),
        hours=(0.3, 6),
        weight=1.1,
    ),
    _a(
        "new-starter",
        "accounts",
        "normal",
        [
            "New starter {newbie} - {start}",
            "Set up account for new employee",
            "New joiner starting {start}",
        ],
        [
            "We have {newbie} starting on {start} as a {role}. They'll need email, a laptop and access to "
            "{lob_app}. Same as {colleague} please.",
            "Please set up a new user: {newbie}, starting {start}. Needs the usual plus {file_share}.",
            "New member of staff {newbie} joins us {start}. Can everything be ready for 9am?",
        ],
        {
            "*": "Created the account from the new-starter template (copied groups from {colleague}), "
            "assigned the {email_platform} licence, built a {laptop} from the standard image, enrolled in "
            "{mfa_app} on the first morning, and granted {lob_app} access. Handed over with the welcome "
            "sheet.",
        },
        slots={
            "newbie": ("Amy Clarke", "Josh Bennett", "Hamza Iqbal", "Emily Shaw", "Ryan Cole", "Megan Lloyd"),
            "start": ("Monday", "the 1st", "next Tuesday", "Monday week"),
            "role": ("administrator", "assistant", "trainee", "manager"),
        },
        hours=(24, 120),
    ),
    _a(
        "leaver",
        "accounts",
        "normal",
        [
            "Leaver: {newbie}",
            "Staff member leaving Friday - disable account",
            "Please remove {newbie}'s access",
        ],
        [
            "{newbie} leaves on Friday. Please disable their account at 5pm and forward their email to "
            "{colleague}.",
            "Can you close down {newbie}'s account? Last day was yesterday. Keep their files please.",
            "Leaver notification: {newbie}. Laptop will be handed back to the office.",
        ],
        {
            "*": "At 17:00 on the last day: blocked sign-in, reset password, revoked sessions, converted the "
            "mailbox to shared with {colleague} given access, moved OneDrive files to the manager, removed "
            "the licence and wiped the returned laptop.",
            RFC: "Suspended the Google account at 17:00, transferred Drive files and set a Gmail auto-reply "
            "+ forwarding to {colleague}, removed EMIS Web access (smartcard unlinked by the RA), wiped the "
            "laptop.",
            OAK: "Suspended the Google account, transferred Drive ownership to {colleague}, removed Arbor "
            "access and reclaimed the licence.",
        },
        slots={"newbie": ("Lisa Grant", "Tom Ward", "Kate Hill", "Sam Ahmed", "Neil Porter")},
        hours=(8, 96),
        weight=0.8,
    ),
    _a(
        "permission-folder",
        "accounts",
        "low",
        [
            "Access denied to a folder",
            "Need access to {folder} folder",
            "Can't open folder - no permission",
        ],
        [
            "I get 'You don't have permission to access this folder' when opening {folder} in {file_share}.",
            "Could I be given access to the {folder} folder please, my manager {colleague} has agreed.",
            "Access is denied on {folder}. I could get in last month.",
        ],
        {
            "*": "Added the user to the security group that controls {folder} after approval from "
            "{colleague} (folder owner). User logged off and on to refresh their token; access confirmed.",
        },
        slots={"folder": ("HR", "Finance", "Management", "Templates", "Archive 2023")},
        hours=(1, 48),
    ),
    # ---------------------------------------------------------------- hardware
    _a(
        "laptop-wont-boot",
        "hardware",
        "high",
        [
            "Laptop won't turn on",
            "Computer stuck on black screen",
            "{device} not starting",
        ],
        [
            "My laptop won't start. Power light comes on, screen stays black. It's a {laptop}.",
            "Pressed the power button and nothing. It was charging all night.",
            "Laptop stuck on the logo then restarts again and again. I have a meeting at 11!!",
        ],
        {
            "*": "Drained flea power (held power 30s with charger off), laptop then booted but BIOS reported "
            "the battery as failed. Ordered a replacement battery under warranty and lent the user a spare "
            "{laptop} in the meantime. Battery fitted two days later.",
        },
        hours=(2, 72),
    ),
    _a(
        "monitor-dock",
        "hardware",
        "normal",
        [
            "Second screen not working",
            "Monitors not detected through dock",
            "external monitor blank",
        ],
        [
            "When I plug into the {dock} my monitors stay black. Laptop screen works.",
            "Only one of my two screens works since I moved desk to {room}.",
            "Screens flicker and then go off when I dock in the mornings.",
        ],
        {
            "*": "Updated the {dock} firmware and the laptop's graphics driver, swapped a faulty DisplayPort "
            "cable. Both monitors detected at the right resolution.",
            OAK: "The HDMI adapter was faulty. Replaced it from stock and labelled it for the room.",
        },
        hours=(1, 72),
    ),
    _a(
        "keyboard-mouse",
        "hardware",
        "low",
        [
            "Keyboard not working",
            "Mouse stopped working",
            "need a new keyboard - keys sticking",
        ],
        [
            "Some keys on my keyboard don't type (the E and the R). Tea may have been involved...",
            "My wireless mouse stopped working, changed the battery already.",
            "Could I get a new keyboard? The space bar sticks.",
        ],
        {"*": "Replaced the keyboard/mouse from stock. Old one disposed of."},
        paired=True,
        hours=(2, 96),
        weight=0.6,
    ),
    _a(
        "laptop-slow",
        "hardware",
        "low",
        [
            "Computer really slow",
            "Laptop running slow - takes ages to start",
            "my pc is so slow",
        ],
        [
            "My computer takes about 10 minutes to start in the morning and then everything is slow.",
            "Laptop fan is always loud and everything is sluggish. {lob_app} takes ages to open.",
            "My pc has been slow for a couple of weeks now. Is there something you can do remotely?",
        ],
        {
            "*": "Disk was at 97% full with old Teams cache and downloads, and the machine had 8 GB RAM. "
            "Cleaned up 40 GB, disabled startup items, applied pending updates. Raised a request to upgrade "
            "the RAM to 16 GB (fitted the following week).",
        },
        hours=(4, 120),
    ),
    # ---------------------------------------------------------------- software
    _a(
        "office-activation",
        "software",
        "normal",
        [
            "Office says unlicensed product",
            "Word asking me to activate",
            "Microsoft Office product notice - reduced functionality",
        ],
        [
            "A red bar in Word says 'Unlicensed product' and I can't edit documents.",
            "Excel says my account doesn't have a licence. Worked fine Friday.",
            "Getting 'Sign in to activate Office' every time I open anything.",
        ],
        {
            "*": "User's {email_platform} licence had been removed by a group change. Re-added them to the "
            "licensing group, signed out and back in to Office, activated. Cleared the old licence tokens.",
        },
        sites=M365_SITES,
        hours=(0.5, 24),
    ),
    _a(
        "teams-audio",
        "phones",
        "normal",
        [
            "People can't hear me in {meetings}",
            "No sound in {meetings} calls",
            "Headset mic not working in meetings",
        ],
        [
            "In {meetings} people can't hear me. The mic works in other apps I think.",
            "No audio on my calls today, I can see people talking but can't hear them. Headset is plugged "
            "in.",
            "My headset mic stopped working in meetings. Client call in an hour.",
        ],
        {
            "*": "{meetings} had selected the laptop's speakers instead of the headset after a driver "
            "update. Set the headset as default device in Windows and in the app's device settings, tested "
            "with a test call.",
        },
        paired=True,
        steps=(
            "In the meeting, open device settings and pick your headset for both speaker and microphone.",
            "Unplug the headset and plug it back in, then rejoin the call.",
            "Check Windows sound settings: the headset should be the default device.",
        ),
        hours=(0.5, 24),
    ),
    _a(
        "software-install-request",
        "software",
        "low",
        [
            "Please install {app}",
            "Software request: {app}",
            "Can I have {app} on my laptop?",
        ],
        [
            "Could you install {app} on my computer? I need it for a piece of work this week.",
            "I need {app}, it asks for an admin password when I try to install.",
            "Request for {app} for me and maybe {colleague} too.",
        ],
        {
            "*": "Checked licence/approval, packaged {app} from the vendor's installer and deployed it to "
            "{device} through the RMM. Confirmed it opens.",
        },
        slots={
            "app": ("Adobe Acrobat Pro", "Zoom", "Notepad++", "7-Zip", "Visio", "VLC", "Power BI Desktop")
        },
        hours=(4, 120),
    ),
    _a(
        "onedrive-sync",
        "software",
        "normal",
        [
            "{storage} not syncing",
            "Files not syncing - red cross",
            "sync problem with my files",
        ],
        [
            "{storage} has a red cross on it and says 'sync pending'. My files on my other computer don't "
            "match.",
            "Saved a file at home last night and it's not on my work computer. {storage} says it's up to "
            "date?",
            "Sync error: 'We can't sync this file, the file name contains a character that isn't allowed'.",
        ],
        {
            "*": "A file with a trailing space / '#' in its name was blocking the sync; renamed it, reset "
            "the OneDrive client (onedrive.exe /reset) and let it resync. Up to date.",
            RFC: "Google Drive for desktop was signed into the user's old account. Signed out, reconnected "
            "to the practice account and resynced.",
            OAK: "Google Drive for desktop cache was corrupted after the disk filled up. Cleared the cache "
            "folder, signed in again, resynced.",
        },
        hours=(1, 48),
    ),
    _a(
        "windows-update-stuck",
        "software",
        "normal",
        [
            "Stuck on 'Working on updates'",
            "Updates failing on my computer",
            "Laptop keeps asking to restart for updates",
        ],
        [
            "My laptop has been on 'Working on updates 100%' for an hour.",
            "Windows update keeps failing with error {error} and asking me to restart.",
            "Every day it asks me to restart for updates. I've restarted 4 times.",
        ],
        {
            "*": "Cumulative update was failing on the disk space check. Cleared the SoftwareDistribution "
            "folder, freed space, installed the update manually from the catalogue. Up to date and "
            "compliant in the RMM.",
        },
        slots={"error": ("0x800f0922", "0x80070643", "0x8024200B")},
        paired=True,
        hours=(2, 72),
    ),
    _a(
        "browser-site-blocked",
        "software",
        "low",
        [
            "Website blocked",
            "Can't get to a website we need",
            "Site blocked by filter",
        ],
        [
            "I get a 'blocked by policy' page when I try to go to {website}. I need it for work.",
            "{website} won't load in the office but works on my phone.",
            "Could you unblock {website} please?",
        ],
        {
            "*": "{website} was categorised as 'uncategorised/newly registered' by the web filter on the "
            "{firewall}. Reviewed it, added an allow rule for the domain, confirmed it loads.",
            OAK: "{website} was blocked by Smoothwall for staff. Checked it's safe, added it to the staff "
            "allow list (pupils still filtered).",
        },
        slots={
            "website": (
                "a supplier portal",
                "a training site",
                "wetransfer.com",
                "the council's planning site",
            )
        },
        hours=(1, 48),
        weight=0.7,
    ),
    # ---------------------------------------------------------------- security
    _a(
        "phishing-report",
        "security",
        "high",
        [
            "Suspicious email - is this phishing?",
            "I think I clicked a dodgy link from {brand}",
            "Supplier asking to change bank details - fake?",
        ],
        [
            "I got an email saying my mailbox will be deleted unless I 'verify' it. Looks fake. Forwarding "
            "it.",
            "I clicked a link in an email from '{brand}' and it asked for my password. I didn't enter it but "
            "I'm worried.",
            "Strange email from a supplier's address asking us to change their bank details. Is it real?",
        ],
        {
            "*": "Confirmed phishing (lookalike domain). Purged the message from all mailboxes, blocked the "
            "sender and URL, checked sign-in logs for the user: no suspicious sign-ins. Reminded the user "
            "that reporting was the right call.",
        },
        slots={"brand": ("Microsoft", "DocuSign", "DHL", "HMRC", "Royal Mail")},
        paired=True,
        steps=(
            "Do not click links or open attachments in the message.",
            "Use the Report / Report phishing button, then delete it.",
            "If you typed your password anywhere, change it now and tell us straight away.",
        ),
        hours=(0.3, 8),
        weight=1.1,
    ),
    _a(
        "compromised-account",
        "security",
        "urgent",
        [
            "My email is sending spam",
            "People getting odd emails from me",
            "Think my account was hacked",
        ],
        [
            "Several clients have called to say they got a strange email from me with a link to a document. "
            "I didn't send it!",
            "My sent items has hundreds of emails I didn't send.",
            "Got a sign-in alert from a country I've never been to, then my password stopped working.",
        ],
        {
            "*": "Account compromised through an AiTM phishing page. Revoked all sessions, reset the "
            "password, removed the malicious inbox rule (moving replies to RSS folder), re-registered MFA, "
            "blocked the attacker's IPs, and emailed affected contacts. Added the user to the "
            "phishing-resistant MFA pilot.",
        },
        hours=(0.5, 6),
        weight=0.5,
    ),
    _a(
        "av-alert",
        "security",
        "high",
        [
            "Antivirus popup - threat detected",
            "{edr} alert on my computer",
            "virus warning",
        ],
        [
            "A box popped up saying a threat was quarantined. Should I be worried?",
            "{edr} says it blocked something called '{threat}' on my pc.",
            "Got a warning about a virus when I opened an attachment.",
        ],
        {
            "*": "Reviewed the {edr} alert: {threat} was quarantined on download before execution. Ran a "
            "full scan (clean), checked the source email and purged it from other mailboxes.",
        },
        slots={
            "threat": ("Trojan:Win32/Wacatac", "PUA:Win32/Presenoker", "HTML/Phishing.Agent", "JS/Downloader")
        },
        hours=(0.5, 12),
        weight=0.7,
    ),
    _a(
        "lost-device",
        "security",
        "urgent",
        [
            "Laptop left on train",
            "Lost my work phone - has email on it",
            "Work phone stolen",
        ],
        [
            "I think I left my laptop on the train last night. It's {device}. What do I do?",
            "Lost my phone this morning. It has Outlook and Teams on it.",
            "My work phone was stolen on the way home. Reported to police.",
        ],
        {
            "*": "Signed the user out of all sessions, reset their password, issued a remote wipe through "
            "Intune, marked the device lost. BitLocker recovery keys confirmed escrowed. Replacement "
            "ordered.",
            RFC: "Signed the user out everywhere, reset the password, wiped the device through Google "
            "endpoint management and noted it for the practice's data protection log (no patient data stored "
            "locally).",
            OAK: "Signed the user out everywhere from the Admin console, reset the password and wiped the "
            "device through Google endpoint management; logged with the DPO.",
        },
        paired=True,
        hours=(0.5, 8),
        weight=0.4,
    ),
    # ---------------------------------------------------------------- phones
    _a(
        "desk-phone-no-service",
        "phones",
        "normal",
        [
            "Desk phone says 'No service'",
            "Phone not working at my desk",
            "Can't make calls - {desk_phone}",
        ],
        [
            "My desk phone shows 'No service' / 'Registration failed'. Can't make or receive calls.",
            "Phone at my desk is dead since we moved desks in {room}.",
            "The {desk_phone} keeps rebooting.",
        ],
        {
            "*": "Phone was plugged into a data-only port after the desk move; the voice VLAN wasn't tagged "
            "on that switch port. Patched it to the right port on {switch}, phone registered with "
            "{phone_system}.",
        },
        hours=(1, 30),
    ),
    _a(
        "voicemail-forwarding",
        "phones",
        "low",
        [
            "Voicemail PIN reset",
            "Forward my calls to my mobile",
            "Change call forwarding on my extension",
        ],
        [
            "I've forgotten my voicemail PIN, can you reset it?",
            "Could my extension forward to my mobile after 20 seconds please? I'm out a lot.",
            "Please set call forwarding for {colleague}'s line to reception while they're off.",
        ],
        {
            "*": "Updated the extension settings in {phone_system} admin (PIN reset / forwarding rule). "
            "Tested."
        },
        paired=True,
        hours=(1, 48),
        weight=0.6,
    ),
    _a(
        "meeting-room-screen",
        "phones",
        "normal",
        [
            "Meeting room screen not working",
            "Can't present in {room}",
            "TV in meeting room shows no signal",
        ],
        [
            "The screen in {room} says 'No signal' when I plug in. We have clients in 20 minutes.",
            "Can't get my laptop to show on the meeting room TV.",
            "The meeting room camera isn't picked up by {meetings}.",
        ],
        {
            "*": "HDMI switcher had been set to the wrong input and the USB extender for the camera was "
            "unpowered. Reset the switcher to auto-input, replaced the extender's PSU, tested a call.",
        },
        hours=(0.3, 24),
        weight=0.8,
    ),
    _a(
        "mobile-email-setup",
        "phones",
        "low",
        [
            "Set up work email on my phone",
            "Email on new iPhone",
            "Can't get email on my mobile",
        ],
        [
            "I've got a new iPhone, how do I get my work email on it?",
            "{mail_client} app on my phone says my organisation requires a policy. What do I do?",
            "Email stopped working on my phone after I changed my password.",
        ],
        {
            "*": "Enrolled the phone in Intune via Company Portal (required by conditional access) and "
            "signed into Outlook mobile. Mail and calendar syncing.",
            RFC: "Added the Google account on the phone with Google's device policy (basic mobile "
            "management). Gmail and Calendar syncing.",
            OAK: "Added the school Google account to the phone; approved the device in the Admin console.",
        },
        hours=(1, 48),
        weight=0.7,
    ),
    # ---------------------------------------------------------------- other
    _a(
        "desk-move",
        "other",
        "low",
        [
            "Desk move on {day}",
            "Moving desks - need IT set up",
            "Office move request",
        ],
        [
            "{colleague} and I are swapping desks on {day}. Can you make sure our phones and screens work?",
            "We're moving three people into {room} next week. What do you need from us?",
            "Please could someone help with moving my PC to {room}?",
        ],
        {
            "*": "Moved the kit, patched the floor ports on {switch}, moved the phone extensions and tested "
            "screens and printing at the new desks.",
        },
        slots={"day": ("Monday", "Friday afternoon", "the 14th", "next Wednesday")},
        hours=(24, 168),
        weight=0.5,
    ),
    _a(
        "quote-request",
        "other",
        "low",
        [
            "Quote for a new laptop",
            "Need new monitors - cost?",
            "Can we get pricing for a new printer",
        ],
        [
            "Could you send us a quote for a replacement laptop for {colleague}? Theirs is 6 years old.",
            "We need two more monitors for {room}. What would you recommend?",
            "Budget question: how much would it cost to replace the {printer}?",
        ],
        {
            "*": "Sent a quote for the standard spec ({laptop} / monitors) with the lease option. Approved "
            "by the site contact; ordered and delivered.",
        },
        paired=True,
        hours=(24, 240),
        weight=0.5,
    ),
    # ------------------------------------------------- Hartwell & Quinn (law firm) only
    _a(
        "hq-imanage-addin-missing",
        "software",
        "high",
        [
            "iManage missing from Outlook",
            "Can't file emails to iManage - button gone",
            "iManage toolbar disappeared in Outlook",
            "DMS add-in gone again",
        ],
        [
            "The iManage buttons have disappeared from Outlook again so I can't file emails to matters.",
            "No 'File' or 'Suggested locations' in Outlook today. Need to file a load of emails for a "
            "completion.",
            "Outlook started, said something about an add-in being slow, and now iManage isn't there.",
        ],
        {
            HQ: "Outlook had disabled the iManage Work Desktop add-in for slow startup. Re-enabled it in "
            "File > Options > Add-ins > COM Add-ins, and set it to 'Always enable this add-in' under "
            "Disabled items so Outlook stops turning it off. Filing works.",
        },
        sites=(HQ,),
        steps=(
            "In Outlook: File > Options > Add-ins, choose COM Add-ins and click Go.",
            "Tick 'iManage Work Desktop for Windows' and OK.",
            "File > Manage COM Add-ins (or Slow and Disabled add-ins) > 'Always enable this add-in'.",
            "Restart Outlook.",
        ),
        hours=(0.3, 8),
        weight=3.5,
    ),
    _a(
        "hq-imanage-checked-out",
        "software",
        "normal",
        [
            "Document locked in iManage",
            "iManage says document checked out to someone else",
            "Can't edit - document in use",
        ],
        [
            "I can't edit a document in iManage, it says it's checked out to {colleague}, but they're on "
            "holiday.",
            "Document is locked / checked out and I need to send it to the client today.",
            "Trying to open a precedent from iManage and it opens read-only saying it's in use.",
        ],
        {
            HQ: "Document was left checked out from {colleague}'s laptop. Used the iManage admin to check it "
            "back in (no local changes on their machine to lose). User can edit again.",
        },
        sites=(HQ,),
        hours=(0.3, 6),
        weight=2.0,
    ),
    _a(
        "hq-aderant-time-entry",
        "software",
        "normal",
        [
            "Aderant time entry not saving",
            "Can't record time in Aderant",
            "Aderant Expert error when posting time",
        ],
        [
            "When I post time in Aderant it says 'Matter is closed for time entry' but the matter is open.",
            "Aderant keeps freezing when I save my time. It's month end and I've got a week of time to "
            "enter.",
            "Error in Aderant: 'Unable to connect to Expert application server'.",
        ],
        {
            HQ: "Aderant Expert client cache was holding a stale matter list after the billing team's matter "
            "updates. Cleared the local Expert cache folder and restarted the client; time entries post. "
            "Logged with Aderant support for the server timeout seen at month end.",
        },
        sites=(HQ,),
        hours=(1, 24),
        weight=1.6,
    ),
    _a(
        "hq-dictation",
        "software",
        "normal",
        [
            "Dictations not coming through",
            "BigHand not uploading",
            "BigHand can't connect to server",
        ],
        [
            "I've recorded three dictations on the BigHand app this morning and {colleague} can't see them "
            "in her queue.",
            "BigHand Hub says 'upload pending' on all my recordings.",
            "BigHand on my laptop says 'cannot connect to server' since Monday.",
        ],
        {
            HQ: "BigHand mobile app was signed in to the old server URL after the hub upgrade. Signed out, "
            "re-entered the new server address, uploads went through and appeared in the secretary's queue.",
        },
        sites=(HQ,),
        hours=(0.5, 12),
        weight=1.2,
    ),
    _a(
        "hq-pdf-compare",
        "software",
        "low",
        [
            "Litera Compare not opening",
            "Comparison tab missing in Word",
            "Redline tool not working",
        ],
        [
            "Litera Compare tab has gone from Word. I need to run a comparison for a contract.",
            "When I run a compare it crashes Word.",
            "Can't produce a blackline, the compare button is greyed out.",
        ],
        {
            HQ: "Litera Compare Word add-in was disabled by Word after a crash. Re-enabled it in COM Add-ins "
            "(same as iManage), repaired the Litera install from the RMM, comparison ran.",
        },
        sites=(HQ,),
        hours=(0.5, 24),
        weight=1.0,
    ),
    # ------------------------------------------------- Riverside Family Clinic only
    _a(
        "rfc-label-printer-ip",
        "printers",
        "high",
        [
            "Reception label printer not printing",
            "Zebra printer offline again",
            "Sample labels won't print",
            "label printer lost connection",
        ],
        [
            "The Zebra label printer on {room} isn't printing specimen labels. EMIS says it's sent. Patients "
            "waiting for bloods.",
            "Label printer at reception offline again!! Same as last time I think.",
            "We can't print sample labels from the treatment room PC. The little Zebra shows a green light.",
        ],
        {
            RFC: "Zebra ZD421 had picked up a new DHCP address after the router reboot, so the label print "
            "queue pointed at the old IP. Re-reserved its MAC in the Meraki DHCP reservations "
            "(192.168.10.50), power-cycled the printer and reprinted the queued labels.",
        },
        sites=(RFC,),
        slots={"room": ("reception desk 2", "reception", "the Treatment Room")},
        steps=(
            "Turn the Zebra label printer off and on and wait one minute.",
            "Print a test label from EMIS Web.",
            "If it still fails, raise a ticket: it usually needs its network address fixing on our side.",
        ),
        hours=(0.3, 4),
        weight=4.0,
    ),
    _a(
        "rfc-smartcard",
        "accounts",
        "urgent",
        [
            "Smartcard not recognised",
            "Can't log in to EMIS - smartcard error",
            "NHS smartcard not working",
        ],
        [
            "My smartcard isn't being read on {device}. I've got a full clinic this morning.",
            "EMIS says 'No smartcard detected' but it's in the reader.",
            "Identity agent error when I put my card in.",
        ],
        {
            RFC: "Identity Agent service had stopped after the overnight update. Restarted the NHS "
            "Credential Management / Identity Agent service, reseated the reader, card authenticated and "
            "EMIS Web opened. Set the service to delayed automatic start.",
        },
        sites=(RFC,),
        hours=(0.2, 2),
        weight=2.5,
    ),
    _a(
        "rfc-docman-scanning",
        "software",
        "normal",
        [
            "Docman not importing scans",
            "Scanned letters not appearing in Docman",
            "Docman scanning folder stuck",
        ],
        [
            "Letters scanned on the {scanner} this morning haven't appeared in Docman for filing.",
            "The Docman import folder has 40 documents sitting in it.",
            "Docman says 'failed to import' on today's scans.",
        ],
        {
            RFC: "The scan profile on the {scanner} was saving as multipage TIFF after PaperStream updated; "
            "Docman only imports PDF. Set the profile back to searchable PDF, re-scanned the stuck batch.",
        },
        sites=(RFC,),
        hours=(1, 24),
        weight=1.5,
    ),
    _a(
        "rfc-check-in-kiosk",
        "hardware",
        "normal",
        [
            "Check-in screen frozen",
            "Patient self check-in kiosk not working",
            "Arrivals kiosk black screen",
        ],
        [
            "The self check-in kiosk in the waiting room is frozen on the welcome screen.",
            "Patients can't check in on the screen, it says 'unable to contact server'.",
            "Kiosk in the waiting room is showing a black screen.",
        ],
        {
            RFC: "Kiosk tablet had dropped off RFC-Staff onto RFC-Patients (guest Wi-Fi, which cannot reach "
            "the clinical system). Removed the guest network from the kiosk, rejoined RFC-Staff and "
            "restarted the check-in app.",
        },
        sites=(RFC,),
        hours=(0.3, 6),
        weight=1.5,
    ),
    _a(
        "rfc-vaccine-fridge",
        "other",
        "high",
        [
            "Fridge temperature alerts not emailing",
            "Vaccine fridge monitor offline",
            "Not getting fridge alarm emails",
        ],
        [
            "The vaccine fridge logger hasn't emailed its daily report for two days.",
            "Fridge monitor shows 'offline' on the web portal.",
            "We had a temperature alarm overnight and nobody got the email.",
        ],
        {
            RFC: "The fridge data logger's Wi-Fi password was out of date after the RFC-Staff key change. "
            "Updated it through the logger's setup utility, confirmed readings and alert email reach "
            "practice.manager@.",
        },
        sites=(RFC,),
        hours=(1, 12),
        weight=1.0,
    ),
    # ------------------------------------------------- Oakfield Primary School only
    _a(
        "oak-promethean-no-input",
        "hardware",
        "high",
        [
            "Promethean board not working in {room}",
            "Interactive screen no signal",
            "ActivPanel won't show my laptop",
        ],
        [
            "The Promethean panel in {room} says 'No signal' when I plug my laptop in. Lesson starts at 9.",
            "Board is on but the touch isn't working and it's not showing my screen.",
            "ActivPanel showing the Promethean home screen instead of my laptop. Tried the cable twice.",
        ],
        {
            OAK: "Panel was on the Android home source after a firmware update. Switched input to HDMI 2 "
            "(front port), set 'Input on boot: last used' in the panel settings, and reseated the USB touch "
            "cable. Display and touch both working.",
        },
        sites=(OAK,),
        steps=(
            "Press the Home button on the panel and choose 'Source', then HDMI 2 (front port).",
            "Make sure the USB-B touch cable is plugged in next to the HDMI cable.",
            "If nothing shows, turn the panel off at the switch on the side for 30 seconds.",
        ),
        hours=(0.3, 6),
        weight=3.5,
    ),
    _a(
        "oak-chromebook-cart",
        "hardware",
        "normal",
        [
            "Chromebooks not charging in trolley",
            "Chromebook trolley {n} - half won't charge",
            "Pupil chromebooks flat",
        ],
        [
            "Half the Chromebooks in trolley {n} were flat this morning even though they were plugged in.",
            "Chromebooks in the Year 4 trolley didn't charge overnight. Lights not on at the back.",
            "Several chromebooks dead in the trolley, the timer thing might be wrong?",
        ],
        {
            OAK: "The trolley's charging timer had reset to the default (charging 2am-4am only) after a "
            "power cut. Set it back to charge 16:00-07:00 and replaced one failed USB-C lead.",
        },
        sites=(OAK,),
        slots={"n": ("1", "2", "3", "4")},
        hours=(2, 48),
        weight=2.0,
    ),
    _a(
        "oak-arbor-registers",
        "software",
        "high",
        [
            "Can't take the register in Arbor",
            "Arbor registers not loading",
            "Register won't save",
        ],
        [
            "Arbor won't load the morning register for my class. It just spins.",
            "Getting an error when saving the register: 'session expired'.",
            "Office says my register isn't done but I did it! It didn't save.",
        ],
        {
            OAK: "Arbor session was being cut off by the Smoothwall SSL inspection on the staff VLAN. Added "
            "*.arbor.sc to the SSL inspection bypass list; registers save. Office re-marked the missing "
            "register.",
        },
        sites=(OAK,),
        hours=(0.3, 6),
        weight=2.0,
    ),
    _a(
        "oak-google-classroom-sync",
        "software",
        "low",
        [
            "Pupils missing from Google Classroom",
            "New pupil can't see Classroom",
            "Class list wrong in Classroom",
        ],
        [
            "Two new children in my class can't see our Google Classroom.",
            "My Classroom still has last year's pupils in it.",
            "A new starter in Year 5 isn't on my Classroom roster.",
        ],
        {
            OAK: "The pupils' accounts hadn't been created yet because the overnight Arbor > Google sync "
            "(Salamander) skipped them: missing UPN in Arbor. Office added the UPNs, re-ran the sync, "
            "added the pupils to the class.",
        },
        sites=(OAK,),
        hours=(4, 72),
        weight=1.4,
    ),
    _a(
        "oak-papercut-balance",
        "printers",
        "low",
        [
            "Printing blocked - PaperCut balance",
            "PaperCut says I have no credit",
            "Can't release print at staffroom copier",
        ],
        [
            "PaperCut says I've got no balance left and won't release my worksheets.",
            "My card doesn't work on the copier any more.",
            "Prints are held but the copier says 'insufficient credit'.",
        ],
        {
            OAK: "Staff accounts get a monthly PaperCut allowance; this teacher was in the wrong group "
            "(pupil quota). Moved them to Staff (unrestricted), re-registered their card number. Jobs "
            "released.",
        },
        sites=(OAK,),
        hours=(1, 24),
        weight=1.3,
    ),
    # ------------------------------------------------- Bramble & Co. (retailer) only
    _a(
        "brm-receipt-printer",
        "printers",
        "high",
        [
            "Till receipt printer not printing",
            "No receipts at {room}",
            "Epson receipt printer offline on Lightspeed",
            "receipt printer not working AGAIN",
        ],
        [
            "Receipt printer on till 2 at {room} isn't printing. Lightspeed says 'Printer not found'.",
            "We can't print receipts, queue building up, Saturday morning!",
            "The little receipt printer has a red light and won't print from the iPad.",
        ],
        {
            BRM: "The Epson TM-m30III had lost its static IP after a power cut and came up on DHCP, so the "
            "Lightspeed iPad couldn't find it. Set it back to the static address printed on its label "
            "using Epson's config tool, re-paired it in Lightspeed > Settings > Printers, printed a test "
            "receipt.",
        },
        sites=(BRM,),
        slots=SHOP_FLOOR,
        steps=(
            "Check paper is loaded the right way up and the lid is closed.",
            "Turn the receipt printer off and on, then in Lightspeed go to Settings > Printers and test "
            "print.",
            "If it still says 'Printer not found', raise a ticket with the shop and till number.",
        ),
        hours=(0.3, 6),
        weight=3.5,
    ),
    _a(
        "brm-card-terminal",
        "hardware",
        "urgent",
        [
            "Card machine not connecting",
            "Card terminal offline at {room}",
            "PDQ not taking payments",
        ],
        [
            "Card terminal at {room} keeps saying 'No connection'. Customers can only pay cash.",
            "PDQ machine offline since opening. Tried restarting it.",
            "Card payments declining with 'comms error' on till 1.",
        ],
        {
            BRM: "Terminal had switched from the shop's Wi-Fi to its backup SIM, which had a weak signal in "
            "the shop. Rejoined the terminal to BRAMBLE-Staff (payment VLAN) with the stored PSK and "
            "restarted it; payments going through. Asked the acquirer to check the SIM.",
        },
        sites=(BRM,),
        slots=SHOP_FLOOR,
        hours=(0.2, 3),
        weight=2.2,
    ),
    _a(
        "brm-lightspeed-sync",
        "software",
        "normal",
        [
            "Stock levels wrong in Lightspeed",
            "Lightspeed not syncing sales",
            "Products missing on till",
        ],
        [
            "New autumn range isn't showing on the till at {room}, buying team say they've added it.",
            "Lightspeed says 'offline mode - sales will sync later' and it's been like that all morning.",
            "Stock figures on the iPad don't match the back office.",
        ],
        {
            BRM: "The till iPad was stuck in offline mode with 40 unsynced sales because its Lightspeed app "
            "was two versions behind. Updated the app (managed through Intune), forced a sync; sales "
            "uploaded, new products downloaded.",
        },
        sites=(BRM,),
        slots=SHOP_FLOOR,
        hours=(0.5, 12),
        weight=1.8,
    ),
    _a(
        "brm-shelf-labels",
        "printers",
        "low",
        [
            "Shelf edge label printer not working",
            "Brother label printer printing blank labels",
            "Can't print price labels",
        ],
        [
            "The Brother label printer in the back office prints blank labels.",
            "Price labels come out half printed and then jam.",
            "Shelf labels for the sale are printing with the price cut off at the edge.",
        ],
        {
            BRM: "Wrong roll fitted (DK-22205 continuous instead of DK-11201 die-cut), which the Brother QL-"
            "820NWB reports as blank output. Fitted the right roll and reloaded the template in P-touch "
            "Editor.",
        },
        sites=(BRM,),
        hours=(2, 48),
        weight=1.2,
    ),
    _a(
        "brm-handheld-scanner",
        "hardware",
        "normal",
        [
            "Stock scanner not connecting",
            "Zebra handheld won't log in",
            "TC21 scanner stuck",
        ],
        [
            "The Zebra handheld in {room} won't connect to the Wi-Fi so we can't do the stock count.",
            "Scanner says 'session invalid' when logging in for goods-in.",
            "Handheld scanner frozen on the Lightspeed Scanner app.",
        ],
        {
            BRM: "The TC21 had lost its Wi-Fi profile after a battery swap on the old OS. Re-enrolled it "
            "with the StageNow barcode, which pushes BRAMBLE-Staff and the scanner app config, and updated "
            "the OS to keep the profile.",
        },
        sites=(BRM,),
        slots=SHOP_FLOOR,
        hours=(1, 24),
        weight=1.3,
    ),
    # ------------------------------------------------- Lindqvist Accounting only
    _a(
        "lq-sage-data-in-use",
        "software",
        "high",
        [
            "Sage says data in use",
            "Can't open client company in Sage 50",
            "Sage 50 locked - another user",
        ],
        [
            "Sage 50 on the terminal server says 'data in use by another user' and won't let me into "
            "{client}'s company. Nobody else is in it.",
            "Sage 50 keeps telling me someone else is logged in as MANAGER.",
            "Can't get into Sage. Error about data being in use. VAT return due tomorrow.",
        ],
        {
            LQ: "A disconnected RDS session on LQ-RDS01 was still holding the Sage 50 company lock. Logged "
            "off the stale session in Server Manager and cleared the Sage QUEUE.DTA lock; user got in. Set "
            "the RDS disconnected-session limit to 2 hours so locks don't linger.",
        },
        sites=(LQ,),
        slots={
            "client": ("Marlowe Holdings", "Penrose Ltd", "Carter Estates", "Finch Bakery", "Hollis Dental")
        },
        hours=(0.3, 4),
        weight=3.0,
    ),
    _a(
        "lq-rds-printer-mapping",
        "printers",
        "normal",
        [
            "Can't print from the terminal server",
            "Printers missing in remote desktop",
            "Printing from Sage doesn't work at home",
        ],
        [
            "When I print from Sage on the remote desktop my home printer isn't in the list.",
            "Printing from CCH on the RDS goes nowhere.",
            "My printer doesn't show up when I'm working in the remote session.",
        ],
        {
            LQ: "Printer redirection on LQ-RDS01 only maps printers with Easy Print compatible drivers; the "
            "user's home inkjet wasn't. Enabled 'Use Remote Desktop Easy Print first' and set "
            "redirection of the default printer only; printer appeared after reconnecting.",
        },
        sites=(LQ,),
        hours=(1, 24),
        weight=2.0,
    ),
    _a(
        "lq-taxcalc-licence",
        "software",
        "high",
        [
            "TaxCalc licence error",
            "TaxCalc won't submit returns",
            "TaxCalc 'licence expired'",
        ],
        [
            "TaxCalc says our licence has expired and won't let me file. It's January!",
            "TaxCalc opened in demo mode this morning, can't file anything.",
            "TaxCalc asking for a licence key when opening.",
        ],
        {
            LQ: "The renewed TaxCalc licence hadn't been pulled down on LQ-RDS01 because the app runs as the "
            "shared install. Ran TaxCalc as admin on the server, applied the new licence file from the "
            "TaxCalc account, restarted the users' sessions; filing works.",
        },
        sites=(LQ,),
        hours=(0.5, 8),
        weight=1.5,
    ),
    _a(
        "lq-client-portal-upload",
        "software",
        "normal",
        [
            "Client can't upload to portal",
            "Client portal documents not appearing",
            "Problem with the client upload portal",
        ],
        [
            "{client} says the client portal won't accept their bank statements (PDF, 30MB).",
            "Documents uploaded by clients aren't showing in CCH Document Management.",
            "The portal keeps timing out when I share a set of accounts with {client}.",
        ],
        {
            LQ: "CCH portal upload limit is 25 MB per file; asked the client to split the PDF and raised the "
            "practice-level limit in CCH settings. Re-ran the document import so uploads show in CCH.",
        },
        sites=(LQ,),
        slots={
            "client": ("Marlowe Holdings", "Penrose Ltd", "Carter Estates", "Finch Bakery", "Hollis Dental")
        },
        hours=(2, 48),
        weight=1.4,
    ),
    _a(
        "lq-rds-slow-login",
        "network",
        "normal",
        [
            "Remote desktop really slow to log in",
            "Terminal server stuck on 'Please wait'",
            "RDS login hangs",
        ],
        [
            "Logging into the remote desktop takes 5 minutes on 'Preparing Windows'.",
            "The terminal server is stuck on 'Please wait for the User Profile Service'.",
            "RDS super slow today for everyone in {room}.",
        ],
        {
            LQ: "User profile disk on LQ-RDS01 had grown to its 20 GB cap with Teams cache. Cleared the "
            "cache, excluded Teams cache folders from the profile, expanded the UPD to 30 GB; login takes 30 "
            "seconds again.",
        },
        sites=(LQ,),
        hours=(1, 24),
        weight=1.8,
    ),
    # ------------------------------------------------- more across sites
    _a(
        "usb-blocked",
        "security",
        "low",
        [
            "USB stick blocked",
            "Can't open my memory stick",
            "USB drive not allowed?",
        ],
        [
            "I plugged in a USB stick from {client} and got 'This device is blocked by your organisation'.",
            "My memory stick isn't opening, a message says removable storage is blocked.",
            "Need to copy some photos off a USB drive for a presentation but it won't let me.",
        ],
        {
            "*": "Removable storage is blocked by policy on purpose ({edr} device control). Scanned the "
            "stick on the helpdesk's isolated machine, copied the files to the user's {storage}, explained "
            "the policy and the secure file-share alternative.",
        },
        slots={"client": ("a client", "the auditors", "a supplier", "a parent")},
        hours=(1, 24),
        weight=0.6,
    ),
    _a(
        "large-attachment",
        "email",
        "low",
        [
            "Can't send a large attachment",
            "Email too big to send",
            "How do I send a big file to {client}?",
        ],
        [
            "I need to send a 60MB file to {client} and {mail_client} says it's too large.",
            "My email with photos attached keeps bouncing back saying the message is too big.",
            "What's the best way to send a big document bundle to someone outside?",
        ],
        {
            "*": "Attachment limit is 25-35 MB and the recipient's server rejects above 20 MB. Showed the "
            "user how to share it as a {storage} link with 'specific people' and an expiry date; sent fine.",
        },
        slots={"client": ("Marlowe Holdings", "Carter Estates", "the insurer", "a parent", "the auditors")},
        steps=(
            "Save the file in {storage}.",
            "Use Share, choose specific people, add the recipient's email and set an expiry date.",
            "Paste the link into your email instead of attaching the file.",
        ),
        hours=(0.5, 24),
        weight=0.7,
    ),
    _a(
        "guest-wifi-password",
        "network",
        "low",
        [
            "Guest Wi-Fi password?",
            "Visitor can't get on {guest_wifi}",
            "Wi-Fi code for visitors",
        ],
        [
            "We have visitors in {room} this afternoon, what's the guest wifi password now?",
            "A visitor can't connect to {guest_wifi}, the password on the card by reception doesn't work.",
            "Has the guest wifi password changed? Our contractor can't get online.",
        ],
        {
            "*": "{guest_wifi} password rotates monthly; the reception card was last month's. Sent the "
            "current one to the site contact, printed new cards for reception and set the rotation email to "
            "go to reception too.",
        },
        hours=(0.3, 8),
        weight=0.6,
    ),
    _a(
        "google-signin-loop",
        "accounts",
        "normal",
        [
            "Google keeps signing me out",
            "Stuck in a sign-in loop on Chrome",
            "Can't stay logged in to Google",
        ],
        [
            "Every time I open Chrome I have to sign in to Google again, and sometimes it loops back to the "
            "login page.",
            "Gmail keeps saying 'session expired' and making me log in, maybe 10 times a day.",
            "Signed in to my work account but it keeps switching to my personal one.",
        ],
        {
            "*": "Chrome profile was mixing the user's personal and work accounts and clearing cookies on "
            "exit. Created a separate Chrome profile for the work account, turned off 'clear cookies on "
            "exit', and checked the session length policy in the {admin_portal} (12 hours).",
        },
        sites=GOOGLE_SITES,
        hours=(1, 48),
    ),
    _a(
        "hq-court-bundle-pdf",
        "software",
        "normal",
        [
            "Adobe crashes creating a bundle",
            "Can't combine PDFs for court bundle",
            "Acrobat freezing on large PDF",
        ],
        [
            "Acrobat crashes every time I try to combine the documents for the court bundle (about 400 "
            "pages).",
            "Trying to add bookmarks and page numbers to a bundle and Adobe stops responding.",
            "Acrobat Pro 'not responding' when I merge the exhibits. Deadline is 4pm.",
        ],
        {
            HQ: "Acrobat's protected mode was running the merge out of memory on the 8 GB laptop. Disabled "
            "Protected View for files from iManage locations, updated Acrobat, and built the bundle in two "
            "halves then combined; created fine. Flagged the laptop for a RAM upgrade.",
        },
        sites=(HQ,),
        hours=(0.5, 8),
        weight=1.0,
    ),
    _a(
        "rfc-video-consult",
        "phones",
        "high",
        [
            "Camera not working for video consultations",
            "Patient can't see me on video consult",
            "accuRx video call no camera",
        ],
        [
            "Trying to do a video consultation with a patient and it says no camera found. Webcam light is "
            "off.",
            "Patients say my video is black in the accuRx video consult.",
            "Webcam in {room} not working in video consults, works in Meet though.",
        ],
        {
            RFC: "Chrome had camera access blocked for the accuRx site after a prompt was dismissed. Reset "
            "the site permission (padlock > Camera: Allow) and added the accuRx domain to the managed Chrome "
            "policy allowing camera so it can't be blocked again.",
        },
        sites=(RFC,),
        slots={"room": ("Consult 1", "Consult 3", "Consult 5")},
        hours=(0.3, 6),
        weight=1.4,
    ),
    _a(
        "oak-chromebook-login",
        "accounts",
        "normal",
        [
            "Pupil can't log in to Chromebook",
            "Chromebook says 'Your account isn't allowed on this device'",
            "Children locked out of chromebooks",
        ],
        [
            "Several children in {room} can't log in to the Chromebooks, it says their account isn't "
            "allowed on this device.",
            "One pupil keeps getting 'wrong password' but we've checked it's right.",
            "Chromebooks from trolley 2 won't let Year 3 log in.",
        ],
        {
            OAK: "The Chromebooks had been moved into the Staff OU by mistake, where sign-in is limited to "
            "staff. Moved them back to the Pupil Devices OU in the Admin console and reset the one pupil's "
            "password; all signed in.",
        },
        sites=(OAK,),
        hours=(0.5, 12),
        weight=1.4,
    ),
    _a(
        "brm-end-of-day-report",
        "software",
        "normal",
        [
            "End of day report not emailed",
            "Didn't get last night's takings report",
            "Daily sales email missing",
        ],
        [
            "We didn't receive the end-of-day takings email for {room} last night.",
            "The daily sales report from Lightspeed hasn't come through for 3 days.",
            "Finance missing the EOD reports from two shops.",
        ],
        {
            BRM: "The Lightspeed report emails were being quarantined as bulk mail by Defender. Added the "
            "Lightspeed sending domain to the allow list, released the quarantined reports to finance.",
        },
        sites=(BRM,),
        slots=SHOP_FLOOR,
        hours=(1, 24),
        weight=1.3,
    ),
    _a(
        "lq-scansnap-folder",
        "printers",
        "normal",
        [
            "ScanSnap not saving to client folder",
            "Scanner saving in the wrong place",
            "ScanSnap Home error",
        ],
        [
            "My ScanSnap scans aren't going into {client}'s folder on P:\\Clients any more.",
            "ScanSnap Home says 'cannot save the file to the specified folder'.",
            "Scanned a stack of receipts and can't find where they went.",
        ],
        {
            LQ: "The ScanSnap profile pointed at the mapped P: drive, which isn't mapped until the VPN "
            "connects. Changed the profile to the UNC path \\\\LQ-RDS01\\Clients and recovered the scans "
            "from the local fallback folder.",
        },
        sites=(LQ,),
        slots={
            "client": ("Marlowe Holdings", "Penrose Ltd", "Carter Estates", "Finch Bakery", "Hollis Dental")
        },
        hours=(0.5, 24),
        weight=1.4,
    ),
]

ARCHETYPES_BY_KEY = {archetype.key: archetype for archetype in ARCHETYPES}
