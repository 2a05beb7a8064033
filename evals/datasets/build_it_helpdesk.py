# ruff: noqa: E501 - the archetype table is prose; wrapping every sentence would hurt reading it.
"""Build the `it-helpdesk` eval dataset (fixtures/evals/it-helpdesk/) from seeded templates.

    .venv/bin/python -m evals.datasets.build_it_helpdesk [--out fixtures/evals/it-helpdesk] [--seed 7]

Four fictional client sites (none of them the demo's) share 40 problem archetypes over nine categories.
Each archetype has document templates written the way an engineer files a case (technical vocabulary,
title + problem + resolution) and, separately, query templates written the way a user asks (lay words,
other sentence shapes, often no product names). A site has only some archetypes; for each present one it
gets 2-5 documents (tickets, sometimes a chat transcript or a KB article) and 2-3 queries whose gold
`relevant` ids are exactly that site's documents of the archetype. Unanswerable queries come from three
sources: archetypes the site does not have (the problem exists elsewhere, never at this site), IT problems
no archetype covers, and off-topic questions. The same seed always writes the same files.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

CATEGORIES = [
    {"slug": "network", "name": "Network & connectivity"},
    {"slug": "printers", "name": "Printers & scanning"},
    {"slug": "email", "name": "Email & calendars"},
    {"slug": "accounts", "name": "Accounts & access"},
    {"slug": "hardware", "name": "Hardware"},
    {"slug": "software", "name": "Software & applications"},
    {"slug": "security", "name": "Security"},
    {"slug": "phones", "name": "Phones & meetings"},
    {"slug": "other", "name": "Other"},
]

SITES = {
    "northgate-freight": {
        "domain": "northgatefreight.example",
        "platform": "Microsoft 365",
        "mail": "Outlook",
        "storage": "OneDrive",
        "meet": "Teams",
        "printer": "Kyocera TASKalfa 3554ci",
        "label_printer": "Zebra ZT411 label printer",
        "laptop": "HP EliteBook 840",
        "dock": "HP USB-C G5 dock",
        "device": ["NGF-WH-PC03", "NGF-LT-017", "NGF-LT-024", "NGF-OFF-PC11", "NGF-LT-031"],
        "room": [
            "the dispatch office",
            "warehouse bay 4",
            "the transport planning room",
            "the goods-in desk",
        ],
        "person": ["Dariusz", "Kelly", "Marcus", "Priya", "Tomasz"],
        "wifi": "NGF-Warehouse",
        "vpn": "GlobalProtect",
        "firewall": "Palo Alto PA-440",
        "share": "the Dispatch share (\\\\ngf-fs02\\dispatch)",
        "app": "Mandata TMS",
        "app2": "Sage 200",
        "phones": "Gamma Horizon",
        "deskphone": "Poly VVX 450",
        "mfa": "Microsoft Authenticator",
        "edr": "Microsoft Defender for Endpoint",
        "isp": "the leased line from Neos",
        "portal": "Microsoft 365 admin centre",
    },
    "sunfield-dental": {
        "domain": "sunfielddental.example",
        "platform": "Microsoft 365",
        "mail": "Outlook",
        "storage": "OneDrive",
        "meet": "Zoom",
        "printer": "Ricoh IM C3000",
        "label_printer": "Dymo LabelWriter 550",
        "laptop": "Lenovo ThinkPad E14",
        "dock": "Lenovo ThinkPad Universal USB-C dock",
        "device": ["SFD-SURG1", "SFD-SURG2", "SFD-RECEP-A", "SFD-XRAY-PC", "SFD-MGR-LT"],
        "room": [
            "surgery 1",
            "surgery 3",
            "the front desk",
            "the decontamination room",
            "the practice office",
        ],
        "person": ["Aoife", "Bernard", "Chloe", "Imran", "Nadia"],
        "wifi": "Sunfield-Clinical",
        "vpn": "WatchGuard Mobile VPN",
        "firewall": "WatchGuard Firebox T45",
        "share": "the Practice drive (P:)",
        "app": "Dentally",
        "app2": "Carestream imaging",
        "phones": "Horizon Collaborate",
        "deskphone": "Yealink T43U",
        "mfa": "Microsoft Authenticator",
        "edr": "ESET Protect",
        "isp": "the BT fibre line",
        "portal": "Microsoft 365 admin centre",
    },
    "kestrel-studio": {
        "domain": "kestrelstudio.example",
        "platform": "Google Workspace",
        "mail": "Gmail",
        "storage": "Google Drive",
        "meet": "Google Meet",
        "printer": "Canon imagePRESS C165",
        "label_printer": "HP DesignJet T650 plotter",
        "laptop": "MacBook Pro 14",
        "dock": "CalDigit TS4 dock",
        "device": ["KS-MBP-06", "KS-MBP-09", "KS-IMAC-02", "KS-MBP-12", "KS-WS-01"],
        "room": ["the model shop", "studio floor 2", "the review room", "the mezzanine desks"],
        "person": ["Elif", "Hugo", "Ines", "Jonah", "Saoirse"],
        "wifi": "Kestrel-Studio",
        "vpn": "Tailscale",
        "firewall": "Ubiquiti Dream Machine Pro",
        "share": "the Projects shared drive",
        "app": "Revit",
        "app2": "Adobe Creative Cloud",
        "phones": "Aircall",
        "deskphone": "Aircall desk app",
        "mfa": "Google Authenticator",
        "edr": "CrowdStrike Falcon",
        "isp": "the Zen fibre line",
        "portal": "Google Admin console",
    },
    "maple-county-library": {
        "domain": "maplecountylibrary.example",
        "platform": "Google Workspace",
        "mail": "Gmail",
        "storage": "Google Drive",
        "meet": "Google Meet",
        "printer": "Xerox VersaLink C7025",
        "label_printer": "Brother QL-820NWB label printer",
        "laptop": "Dell Latitude 3540",
        "dock": "Dell WD19 dock",
        "device": ["MCL-CIRC-01", "MCL-CIRC-02", "MCL-STAFF-LT4", "MCL-PUB-PC12", "MCL-BRANCH-LT2"],
        "room": [
            "the circulation desk",
            "the children's library",
            "the branch at Elm Street",
            "the back office",
        ],
        "person": ["Grace", "Lwazi", "Margit", "Oscar", "Ruth"],
        "wifi": "MCL-Staff",
        "vpn": "OpenVPN Connect",
        "firewall": "Fortinet FortiGate 40F",
        "share": "the Library Admin shared drive",
        "app": "Koha",
        "app2": "LibraryWorld self-checkout",
        "phones": "RingCentral",
        "deskphone": "Polycom VVX 250",
        "mfa": "Google Authenticator",
        "edr": "Sophos Intercept X",
        "isp": "the county WAN link",
        "portal": "Google Admin console",
    },
}


def A(slug, category, priority, titles, bodies, resolutions, queries, facts):  # noqa: N802 - reads as a table
    return {
        "slug": slug,
        "category": category,
        "priority": priority,
        "titles": titles,
        "bodies": bodies,
        "resolutions": resolutions,
        "queries": queries,
        "facts": facts,
    }


ARCHETYPES = [
    # ---- network ------------------------------------------------------------------------------------------
    A(
        "wifi-drops",
        "network",
        "normal",
        ["Wi-Fi keeps disconnecting on {device}", "{wifi} SSID drops every few minutes"],
        [
            "{device} loses its connection to {wifi} several times an hour in {room}. Signal shows two bars, "
            "then the adapter reports 'No internet, secured'.",
            "Users in {room} report the {wifi} wireless network dropping out and reconnecting. Wired machines are fine.",
            "Laptop {device} disconnects from {wifi} when moving around {room}; reconnect works for a while.",
        ],
        [
            "The access point serving {room} was on an overlapping channel. Moved it to channel 36 and disabled "
            "the adapter's power saving mode on {device}. Updated the wireless driver. No drops since.",
            "Disabled power saving for the wireless adapter and updated the wireless driver; changed the access "
            "point channel to avoid interference. Monitored for a day, stable.",
        ],
        [
            "my internet keeps cutting out every few minutes when I'm not plugged into a cable",
            "why does the wireless keep kicking me off? I have to reconnect like ten times a day",
            "connection on my laptop is really unstable in {room}, pages stop loading then come back",
            "The wifi here is flaky - it connects then just goes away after a bit",
            "is something wrong with the wireless? my computer randomly loses the network",
        ],
        [
            "disable the adapter's power saving",
            "update the wireless driver",
            "change the access point channel",
        ],
    ),
    A(
        "vpn-fails",
        "network",
        "high",
        ["{vpn} will not connect from home", "VPN error: gateway unreachable on {device}"],
        [
            "{person} cannot connect to {vpn} from home; the client shows 'gateway not responding' after login. "
            "Home internet works.",
            "{vpn} fails on {device} with an authentication timeout since this morning. Other remote staff connect fine.",
            "Remote access via {vpn} not working, stuck on 'connecting' and then fails.",
        ],
        [
            "The {vpn} client was an old version no longer accepted by the {firewall}. Reinstalled the latest client "
            "and re-imported the connection profile. Also the user's MFA prompt had been ignored; approved it. "
            "Connected successfully.",
            "Upgraded the {vpn} client to the current release and re-imported the connection profile; the old "
            "client was rejected by the firewall. Reminded the user to approve the MFA prompt during login.",
        ],
        [
            "working from home today and I can't get onto the company network at all, the remote thing just spins",
            "how do I get the secure connection working from my house? it says it can't reach the server",
            "can't reach any of the office files from home, the tunnel app times out",
            "the remote access program won't log me in since yesterday, I'm at home",
            "from home I'm locked out of internal systems - the connection app never finishes connecting",
        ],
        ["reinstall the latest VPN client", "re-import the connection profile", "approve the MFA prompt"],
    ),
    A(
        "slow-internet",
        "network",
        "high",
        ["Internet very slow across the office", "Slow browsing and cloud apps at {room}"],
        [
            "Everyone in {room} reports web pages and {storage} taking ages to load since this morning. "
            "Speed test shows 3 Mbps down on {isp}.",
            "Whole site internet crawling; {meet} calls freezing. {firewall} dashboard shows the WAN link saturated.",
            "Very slow internet for all staff, downloads stall.",
        ],
        [
            "A PC was uploading a large backup to the cloud and saturating {isp}. Stopped the upload and applied a "
            "QoS bandwidth limit for backup traffic on the {firewall}. Speeds back to normal.",
            "Found the WAN link saturated by a backup upload. Paused the backup and added a QoS bandwidth limit on "
            "the {firewall} so backups cannot starve other traffic.",
        ],
        [
            "everything online is painfully sluggish for the whole team today, even email takes forever",
            "video calls keep freezing and websites barely load - is the office connection broken?",
            "why is the web so slow in the building right now? it's affecting everybody",
            "downloads crawl and our cloud folders won't sync quickly, whole office affected",
        ],
        ["a backup upload saturated the line", "apply a QoS bandwidth limit on the firewall"],
    ),
    A(
        "intranet-dns",
        "network",
        "normal",
        ["Internal site not resolving", "DNS: cannot resolve {app} server name"],
        [
            "{device} gets 'server not found' for the internal {app} address but the IP address works. "
            "nslookup returns NXDOMAIN.",
            "Name resolution failing for internal hosts on {device}; external websites load normally.",
            "Can reach {app} by IP only, not by hostname, from {room}.",
        ],
        [
            "The laptop had a manually set public DNS server (8.8.8.8). Set the adapter back to obtain DNS "
            "automatically from DHCP and flushed the DNS cache with ipconfig /flushdns. Internal names resolve.",
            "Removed the hard-coded DNS server on the network adapter so it uses the office DNS from DHCP, then "
            "flushed the DNS cache. Resolution works.",
        ],
        [
            "the link to our internal system says page can't be found but google works fine",
            "I can open normal websites but not our own company tool, it says address not found",
            "typing the name of the {app} server gives an error, someone said the number address works though?",
            "only our in-house web pages fail to open on my machine, outside sites are ok",
        ],
        ["set DNS to obtain automatically from DHCP", "flush the DNS cache"],
    ),
    A(
        "dead-port",
        "network",
        "normal",
        ["Network port not working in {room}", "No link light on wall port"],
        [
            "Desk PC {device} in {room} shows 'network cable unplugged'. Cable swapped, same result; no link light.",
            "Wired connection dead at one desk in {room}; laptop works on the neighbouring port.",
            "Ethernet wall port gives no connection after desk move in {room}.",
        ],
        [
            "The wall port was not patched to the switch. Patched it in the comms cabinet and enabled the port "
            "on the switch in the correct VLAN. Link up.",
            "Traced the floor port to the patch panel: it was unpatched. Patched it through to the switch and "
            "assigned the staff VLAN.",
        ],
        [
            "the plug in the wall by my desk doesn't give me any network, tried another cable",
            "moved desks and now my computer says the cable is unplugged even though it isn't",
            "my desktop has no connection when it's wired in at my new spot",
            "the socket for the internet cable at my seat seems dead",
        ],
        ["patch the wall port to the switch", "assign the correct VLAN"],
    ),
    # ---- printers -----------------------------------------------------------------------------------------
    A(
        "print-queue-stuck",
        "printers",
        "normal",
        ["Print jobs stuck in queue for {printer}", "Cannot print: spooler error on {device}"],
        [
            "Jobs sent to the {printer} sit in the queue with status 'Error - Printing' and nothing comes out. "
            "Other users print fine.",
            "Print spooler on {device} stuck; documents queue up for the {printer} and never print.",
            "{person} cannot print to the {printer}; queue shows several stuck jobs.",
        ],
        [
            "Stopped the Print Spooler service, cleared the stuck jobs from C:\\Windows\\System32\\spool\\PRINTERS "
            "and restarted the spooler. Reinstalled the {printer} driver. Printing resumed.",
            "Cleared the stuck jobs and restarted the print spooler; the {printer} driver was corrupted so it was "
            "reinstalled. Test page OK.",
        ],
        [
            "I hit print and nothing happens, the document just sits there waiting",
            "my printouts never come out of the big copier, they seem to be stuck somewhere",
            "stuff I send to print just piles up and doesn't print, other people can print though",
            "printing from my computer has stopped working, it says error and there's a list of waiting documents",
        ],
        ["clear the stuck jobs", "restart the print spooler", "reinstall the printer driver"],
    ),
    A(
        "printer-offline-ip",
        "printers",
        "normal",
        ["{printer} shows offline for everyone", "Printer offline after power cut"],
        [
            "After the power cut the {printer} in {room} shows 'Offline' on all PCs. The device itself is on and "
            "copies fine.",
            "All users see the {printer} as offline; printer display shows a new IP address.",
            "Printer offline on every workstation in {room} since Monday.",
        ],
        [
            "The printer had picked up a new IP address from DHCP after the power cut. Created a DHCP reservation "
            "for its MAC address and updated the printer port on the print server. Back online.",
            "Printer's IP changed. Added a DHCP reservation so the address is fixed and pointed the printer port "
            "at it. All users can print again.",
        ],
        [
            "nobody in the office can use the copier since the electricity went off, computers say it's not available",
            "the main printer shows as disconnected for all of us even though it's switched on",
            "since this morning everyone's computer thinks the printer isn't there",
            "our shared printer appears greyed out for the whole team",
        ],
        ["create a DHCP reservation for the printer", "update the printer port"],
    ),
    A(
        "scan-to-email",
        "printers",
        "low",
        ["Scan to email failing on {printer}", "{printer} scan to email: SMTP authentication error"],
        [
            "Scanning to email from the {printer} gives 'Send error: authentication failed'. Scan to USB works.",
            "Scan to email stopped working on the {printer} after the mailbox password change.",
            "{person} cannot scan documents to their email from the copier.",
        ],
        [
            "The scanner's SMTP account used basic authentication, which {platform} disabled. Set up an SMTP relay "
            "connector for the printer's IP and updated the SMTP settings on the {printer}. Scans arrive.",
            "Updated the SMTP settings on the {printer} to use the SMTP relay connector instead of the old account "
            "password. Test scan delivered.",
        ],
        [
            "when I try to send a scanned page to my inbox from the copier it fails",
            "the machine won't email me my scans any more, it says something about a login problem",
            "scanning a document so it lands in my mail doesn't work",
            "how come the copier can't send scans to email anymore?",
        ],
        ["set up an SMTP relay connector", "update the SMTP settings on the printer"],
    ),
    A(
        "print-quality",
        "printers",
        "low",
        ["Streaks and faded prints on {printer}", "{printer} print quality poor"],
        [
            "Printouts from the {printer} have vertical streaks and faded areas; toner at 5%.",
            "Colour prints on the {printer} come out with lines and smudges.",
            "Print quality degraded on the {printer} in {room}: pale text and stripes.",
        ],
        [
            "Replaced the low toner cartridge and ran the drum cleaning routine from the printer menu. Ordered "
            "spare toner. Quality restored.",
            "Toner was nearly empty; replaced the toner cartridge and ran drum cleaning. Prints are clean.",
        ],
        [
            "pages coming out of the printer have lines down them and the writing is really light",
            "my printing looks washed out and stripy",
            "the copier is making a mess of my documents - smudges and pale bits",
            "everything printed today has grey stripes on it",
        ],
        ["replace the toner cartridge", "run the drum cleaning routine"],
    ),
    A(
        "label-printer",
        "printers",
        "normal",
        ["{label_printer} prints misaligned", "{label_printer} output offset / blank"],
        [
            "The {label_printer} in {room} prints with the content shifted and cut off; every second label blank.",
            "Output from the {label_printer} is offset after the media roll was changed.",
            "{label_printer} skips and prints partially since new stock loaded.",
        ],
        [
            "Media size in the driver did not match the loaded stock. Set the correct media size in the driver and "
            "ran the media calibration on the {label_printer}. Output aligned.",
            "Ran media calibration on the {label_printer} and corrected the media size in the driver preferences "
            "to the new roll. Fixed.",
        ],
        [
            "the {label_printer} cuts off half of what it prints and wastes every other one",
            "since we put the new roll in, things come out crooked and off the edge",
            "our special printer output is in the wrong place on the paper",
            "the {label_printer} seems confused about the paper size after a refill",
        ],
        ["run the media calibration", "set the correct media size in the driver"],
    ),
    # ---- email --------------------------------------------------------------------------------------------
    A(
        "mailbox-full",
        "email",
        "normal",
        ["Mailbox full, cannot send", "{mail}: mailbox storage quota exceeded"],
        [
            "{person} gets 'mailbox full' warnings and outgoing mail is blocked. Mailbox at 49.8 of 50 GB.",
            "User cannot send emails; {mail} says storage quota exceeded.",
            "Mailbox over quota for {person}, messages bouncing back to senders.",
        ],
        [
            "Enabled the online archive for the mailbox and applied an archive policy moving items older than two "
            "years. Emptied the Deleted Items folder. Usage down to 31 GB.",
            "Turned on the online archive with a two-year archive policy and emptied Deleted Items; sending works.",
        ],
        [
            "I'm being told my email has no room left and I can't send anything",
            "people say their messages to me come back undelivered, something about space",
            "my inbox is apparently too big, what can I do so I can send again?",
            "getting warnings that my mail storage is nearly at its limit",
        ],
        ["enable the online archive", "empty the Deleted Items folder"],
    ),
    A(
        "shared-mailbox",
        "email",
        "normal",
        ["Shared mailbox missing in {mail}", "Need access to the info@ shared mailbox"],
        [
            "{person} should see the info@{domain} shared mailbox but it does not appear in {mail}.",
            "Shared mailbox accounts@{domain} disappeared from the folder list.",
            "New member of the team needs access to the shared mailbox.",
        ],
        [
            "Granted Full Access and Send As permissions on the shared mailbox in the {portal}. It appeared in "
            "{mail} after restarting the client.",
            "Added the user with Full Access and Send As permissions to the shared mailbox; restart the mail "
            "client and it auto-maps.",
        ],
        [
            "I can't see the team inbox that everyone else has in their email",
            "how do I get the group address we all answer from to show up for me?",
            "the common info inbox vanished from my mail, colleagues still have it",
            "I've joined the team and need to read and reply from the shared address",
        ],
        ["grant Full Access and Send As permissions", "restart the mail client"],
    ),
    A(
        "calendar-delegate",
        "email",
        "low",
        ["Assistant cannot manage manager's calendar", "Calendar delegate access request"],
        [
            "{person} needs to accept and create meetings in the director's calendar; currently sees free/busy only.",
            "Delegate access to calendar required for PA.",
            "User cannot edit meetings in a colleague's calendar.",
        ],
        [
            "Added the assistant as a delegate with Editor permission on the calendar. Delegate can now create and "
            "respond to invitations.",
            "Gave Editor permission on the calendar and set the assistant as a delegate so meeting requests go to both.",
        ],
        [
            "I organise my boss's diary but I can only see when she's busy, not change anything",
            "how can I book appointments into someone else's schedule for them?",
            "need to be able to accept invites on behalf of my manager",
            "I want to make changes to a colleague's agenda but it's read-only",
        ],
        ["add the assistant as a delegate", "give Editor permission on the calendar"],
    ),
    A(
        "mail-junk",
        "email",
        "normal",
        ["Supplier emails going to junk/quarantine", "External mail quarantined"],
        [
            "Invoices from a key supplier land in junk or quarantine; {person} misses them.",
            "Messages from a client domain are being quarantined by the spam filter.",
            "Legitimate external emails marked as spam.",
        ],
        [
            "Released the quarantined messages and added the sender domain to the allowed senders list in the "
            "anti-spam policy. Asked the supplier to fix their SPF record.",
            "Added the supplier's domain to the allowed senders list, released the messages from quarantine, and "
            "flagged their broken SPF record to them.",
        ],
        [
            "emails from one of our suppliers never show up in my inbox, I find them later in spam",
            "a customer says they sent me something but I never received it",
            "why do messages from a particular company keep being treated as rubbish mail?",
            "important invoices keep getting caught by the filter",
        ],
        ["add the sender domain to the allowed senders list", "release the quarantined messages"],
    ),
    A(
        "mail-client-crash",
        "email",
        "normal",
        ["{mail} crashes on start", "{mail} stuck on loading profile"],
        [
            "{mail} on {device} opens then closes immediately; safe mode also hangs on 'loading profile'.",
            "Mail client freezes at startup for {person} after update.",
            "{mail} not responding when opened on {device}.",
        ],
        [
            "The mail profile was corrupted. Created a new mail profile and removed the old one; the cached "
            "mailbox re-synced. Disabled a faulty add-in.",
            "Rebuilt the mail profile (new profile, old one removed) and disabled a faulty add-in; client opens "
            "normally.",
        ],
        [
            "my email program closes itself as soon as I open it",
            "the mail app just hangs forever on the loading screen",
            "can't get into my email on the computer, the program freezes straight away",
            "every time I start my mail it crashes",
        ],
        ["create a new mail profile", "disable the faulty add-in"],
    ),
    # ---- accounts -----------------------------------------------------------------------------------------
    A(
        "password-lockout",
        "accounts",
        "high",
        ["Account locked out", "{person} locked out after password expiry"],
        [
            "{person}'s account is locked after several failed sign-ins; the password expired over the weekend.",
            "User locked out of Windows and {platform}; too many bad password attempts.",
            "Account lockout repeating every few minutes for {person}.",
        ],
        [
            "Unlocked the account and reset the password with change at next sign-in. The lockouts were from an "
            "old password saved on the phone; removed the stored credentials on the phone.",
            "Unlocked the account, reset the password, and removed the stale stored credentials on the user's "
            "phone that kept locking it.",
        ],
        [
            "it says my login is blocked and I can't get into my computer",
            "I keep getting shut out of my account even after typing the right password",
            "forgot my password over the holiday and now it won't let me in at all",
            "my sign in has been frozen, can you let me back in?",
        ],
        ["unlock the account", "reset the password", "remove the stored credentials on the phone"],
    ),
    A(
        "mfa-new-phone",
        "accounts",
        "high",
        ["MFA: new phone, cannot approve sign-in", "{mfa} moved to new phone"],
        [
            "{person} replaced their phone and no longer receives {mfa} prompts; cannot sign in.",
            "User lost MFA device and cannot complete sign-in to {platform}.",
            "Need MFA re-registration after phone upgrade.",
        ],
        [
            "Verified the user's identity by call-back, reset the MFA registration in the {portal} and had the "
            "user re-register {mfa} on the new phone.",
            "Reset the MFA methods after identity verification; user re-registered {mfa} on the new phone.",
        ],
        [
            "got a new mobile and now the sign in code app isn't there, I can't log in",
            "the approval notifications went to my old phone which I traded in",
            "how do I move the security code thing to my new handset?",
            "I can't do the second step of logging in since I changed my phone",
        ],
        [
            "reset the MFA registration",
            "re-register the authenticator on the new phone",
            "verify the user's identity",
        ],
    ),
    A(
        "new-starter",
        "accounts",
        "normal",
        ["New starter account setup: {person}", "Onboarding request for new employee"],
        [
            "New employee starting Monday in {room}; needs account, mailbox, {app} access and a laptop.",
            "Please set up accounts for a new starter.",
            "Onboarding: user account, licence and group memberships needed.",
        ],
        [
            "Created the user account, assigned a {platform} licence, added the department security groups and "
            "{app} access. Prepared a {laptop} and sent the temporary password to the line manager.",
            "Account created with licence and group memberships; laptop prepared; temporary password given to the "
            "line manager for day one.",
        ],
        [
            "we have someone joining the team next week, what do you need from me to get them ready?",
            "a new person starts on Monday and needs a login and computer",
            "can you get a fresh hire set up with email and systems?",
            "new colleague arriving soon - how do we arrange their access?",
        ],
        [
            "create the user account and assign a licence",
            "add the security groups",
            "send the temporary password to the line manager",
        ],
    ),
    A(
        "leaver",
        "accounts",
        "normal",
        ["Leaver: disable account for {person}", "Offboarding request"],
        [
            "{person} leaves on Friday. Disable access, forward email to their manager, collect the {laptop}.",
            "Please offboard a departing employee.",
            "Staff member has left; account still active.",
        ],
        [
            "Disabled the account and signed out all sessions, converted the mailbox to a shared mailbox with "
            "access for the manager, removed the licence and wiped the returned laptop.",
            "Account disabled and sessions revoked; mailbox converted to shared for the manager; licence removed.",
        ],
        [
            "one of our staff is leaving at the end of the week, how do we shut off their access?",
            "somebody quit and I need their emails to come to me",
            "what happens with an ex-employee's login and mailbox?",
            "a team member has finished with us - please close down their stuff",
        ],
        [
            "disable the account and sign out all sessions",
            "convert the mailbox to a shared mailbox",
            "remove the licence",
        ],
    ),
    A(
        "folder-access",
        "accounts",
        "normal",
        ["Access denied to {share}", "Permission request for shared folder"],
        [
            "{person} gets 'access denied' opening a folder in {share}; colleagues in the same team can open it.",
            "User needs read/write to a folder on {share}.",
            "Cannot open department folder: you do not have permission.",
        ],
        [
            "After manager approval, added the user to the department security group that has modify rights on "
            "the folder. User signed out and back in to pick up the new group membership.",
            "Added to the department security group with approval; sign out and back in to refresh the group "
            "membership.",
        ],
        [
            "I get a message saying I'm not allowed when I try to open our team's files",
            "how do I get into a folder my colleagues can already see?",
            "the shared documents area says I don't have rights",
            "blocked from opening a directory on the common drive",
        ],
        ["add the user to the department security group", "sign out and back in"],
    ),
    # ---- hardware -----------------------------------------------------------------------------------------
    A(
        "laptop-no-power",
        "hardware",
        "high",
        ["{laptop} will not power on", "Laptop dead, no charging light"],
        [
            "{device} ({laptop}) does not turn on; no lights when the charger is connected.",
            "Laptop completely dead after the weekend, charger LED off.",
            "{laptop} won't boot, no response to power button.",
        ],
        [
            "Performed a hard reset (charger and dock disconnected, power button held 30 seconds). The charger was "
            "faulty; replaced the power adapter and the laptop boots.",
            "Hard reset did not help on its own; the power adapter had failed. Replaced the power adapter.",
        ],
        [
            "my laptop is totally dead, pressing the button does nothing at all",
            "computer won't switch on this morning, not even a little light",
            "my portable computer isn't charging or starting",
            "nothing happens when I try to turn my notebook on",
        ],
        ["perform a hard reset", "replace the power adapter"],
    ),
    A(
        "dock-monitors",
        "hardware",
        "normal",
        ["External monitors not detected via {dock}", "{dock}: no display"],
        [
            "{device} on the {dock} charges but both external monitors stay black 'no signal'.",
            "Monitors not detected through the dock since Windows update.",
            "Second screen not working when docked in {room}.",
        ],
        [
            "Updated the dock firmware and the laptop's graphics driver; power-cycled the {dock}. Both monitors "
            "detected.",
            "The {dock} needed a firmware update; also updated the graphics driver and power-cycled the dock.",
        ],
        [
            "my big screens stay black when I plug my laptop in at the desk",
            "the extra displays say no signal although the laptop charges from the station",
            "only my laptop screen works, the two others on my desk don't show anything",
            "since the update my monitors don't come on through the docking thing",
        ],
        ["update the dock firmware", "update the graphics driver", "power-cycle the dock"],
    ),
    A(
        "wireless-peripherals",
        "hardware",
        "low",
        ["Wireless keyboard and mouse lagging", "Keyboard unresponsive on {device}"],
        [
            "Wireless keyboard on {device} misses key presses; mouse pointer jumps.",
            "Keyboard and mouse intermittent on {device}.",
            "Input devices lag badly for {person}.",
        ],
        [
            "Replaced the batteries and moved the USB receiver to a front port with a short extension, away from "
            "the dock. Re-paired the devices.",
            "Batteries were low; replaced the batteries, re-paired the keyboard and mouse, and moved the USB "
            "receiver closer.",
        ],
        [
            "my typing skips letters and the cursor jumps around the screen",
            "the cordless mouse keeps freezing",
            "keyboard without the wire doesn't register half of what I type",
            "the pointer is jerky and keys don't respond sometimes",
        ],
        ["replace the batteries", "move the USB receiver", "re-pair the devices"],
    ),
    A(
        "overheating",
        "hardware",
        "normal",
        ["{laptop} overheating and fan loud", "{device} shuts down when hot"],
        [
            "{device} fan runs at full speed and the laptop shuts itself down under load.",
            "Laptop very hot and noisy, thermal shutdowns.",
            "Overheating {laptop} in {room}.",
        ],
        [
            "Cleaned the dust from the fan and vents with compressed air and updated the BIOS, which has a better "
            "fan curve. Advised using it on a hard surface.",
            "Fan and vents cleaned of dust; BIOS updated. Temperatures normal under load.",
        ],
        [
            "my computer gets really hot and sounds like a jet engine, then it just switches off",
            "the laptop is burning up and turns itself off randomly",
            "loud whirring noise and heat from my machine",
            "it keeps shutting down when I'm working on big files and it's very warm",
        ],
        ["clean the dust from the fan and vents", "update the BIOS"],
    ),
    A(
        "cracked-screen",
        "hardware",
        "normal",
        ["Cracked screen on {laptop}", "Laptop screen damaged"],
        [
            "{person} dropped the {laptop}; the display is cracked with lines across it.",
            "Screen broken on {device}.",
            "Damaged LCD panel after a fall.",
        ],
        [
            "Raised a warranty accidental damage claim with the manufacturer; provided a loan laptop while the "
            "screen was replaced. Data stayed on the device.",
            "Gave the user a loan laptop and logged an accidental damage warranty claim for the screen replacement.",
        ],
        [
            "I dropped my laptop and now the display has cracks and lines",
            "the screen of my work computer is smashed, what do I do?",
            "there's a broken bit on my laptop screen and I can barely read it",
            "accidentally knocked my notebook off the desk, the screen is damaged",
        ],
        ["raise a warranty accidental damage claim", "provide a loan laptop"],
    ),
    # ---- software -----------------------------------------------------------------------------------------
    A(
        "app-licence",
        "software",
        "high",
        ["{app} says licence expired", "{app} activation error on {device}"],
        [
            "{app} on {device} shows 'licence could not be validated' and opens read-only.",
            "{app} activation failed after the laptop was renamed.",
            "Licence error in {app} for {person}.",
        ],
        [
            "The seat was still assigned to the old device name. Released the seat in the licence portal and "
            "re-activated {app} on {device} after signing in again.",
            "Released the stale licence seat in the vendor portal and signed in to re-activate {app}.",
        ],
        [
            "{app} tells me my subscription ran out and won't let me save",
            "the program we use every day says it can't check my licence",
            "I get a message about activation when I open our main application",
            "since my laptop was swapped our business software says I'm not licensed",
        ],
        ["release the licence seat", "re-activate the application"],
    ),
    A(
        "office-update-stuck",
        "software",
        "normal",
        ["Office update stuck", "Windows update failing with 0x800f0922"],
        [
            "Updates on {device} fail repeatedly with 0x800f0922; the laptop asks to restart every day.",
            "Office updates stuck at 0% on {device}.",
            "Windows Update loops on {device}.",
        ],
        [
            "Ran the Windows Update troubleshooter, reset the update components (SoftwareDistribution folder "
            "renamed) and installed the update manually. Free disk space was also low; cleared temp files.",
            "Reset the Windows Update components, freed disk space, and installed the update manually.",
        ],
        [
            "my computer keeps nagging me to restart for updates but they never finish",
            "updates fail every time with some error code",
            "it's been installing the same update for three days",
            "the update thing is stuck and my PC is slow because of it",
        ],
        ["reset the Windows Update components", "install the update manually", "free disk space"],
    ),
    A(
        "app-crash-after-update",
        "software",
        "high",
        ["{app} crashes after update", "{app} closes when opening records"],
        [
            "Since last night's update {app} crashes on {device} when opening a record.",
            "{app} freezes and closes for several users after the new version.",
            "{app} unexpected error after upgrade.",
        ],
        [
            "Known issue with the new version; cleared the application cache and repaired the install, then "
            "applied the vendor's hotfix. Crashes stopped.",
            "Applied the vendor hotfix for the release and cleared the application cache.",
        ],
        [
            "{app} keeps shutting down on me since the new version came out",
            "our main program quits when I try to open anything since yesterday",
            "the system we use for work is broken after it updated itself",
            "ever since the upgrade, the software falls over whenever I click a record",
        ],
        ["apply the vendor's hotfix", "clear the application cache"],
    ),
    A(
        "software-install",
        "software",
        "low",
        ["Install request: {app2}", "Needs admin rights to install software"],
        [
            "{person} needs {app2} installed on {device}; installer asks for administrator password.",
            "Software installation request for {device}.",
            "User cannot install an application without admin rights.",
        ],
        [
            "Manager approved the request; deployed {app2} through the software deployment tool (Intune/MDM) to "
            "{device}. Users do not get local admin rights.",
            "Deployed the approved application via the software deployment tool; local admin rights are not "
            "granted to users.",
        ],
        [
            "I need a program put on my computer but it asks for a password I don't have",
            "can you put {app2} on my machine please?",
            "how do I get new software installed for my work?",
            "trying to set up an app but it says I need to be an administrator",
        ],
        ["deploy through the software deployment tool", "users do not get local admin rights"],
    ),
    A(
        "sync-stuck",
        "software",
        "normal",
        ["{storage} not syncing", "{storage} sync stuck / conflicts"],
        [
            "{storage} on {device} shows 'processing changes' for days; files not uploading.",
            "Sync client stuck with red crosses on files.",
            "{person}'s {storage} is not syncing.",
        ],
        [
            "A file with an invalid character and a path too long blocked the sync. Renamed the file, shortened "
            "the path and reset the {storage} sync client.",
            "Reset the sync client after renaming the file with an invalid name and shortening the path.",
        ],
        [
            "my cloud folder hasn't updated in days and colleagues can't see my changes",
            "the little icons on my files have red crosses, nothing gets uploaded",
            "files I save aren't appearing online for others",
            "my documents aren't syncing between my laptop and the web",
        ],
        ["rename the file and shorten the path", "reset the sync client"],
    ),
    # ---- security -----------------------------------------------------------------------------------------
    A(
        "phishing-clicked",
        "security",
        "urgent",
        ["Clicked phishing link and entered password", "Phishing email: credentials entered"],
        [
            "{person} clicked a link in a fake invoice email and entered their {platform} password on the page.",
            "User reports entering credentials into a phishing site.",
            "Suspicious email link clicked; login page looked like {platform}.",
        ],
        [
            "Reset the password, revoked all sessions and checked the sign-in logs; removed an inbox rule the "
            "attacker created. Purged the phishing email from all mailboxes.",
            "Password reset, sessions revoked, malicious inbox rule removed; purged the email tenant-wide.",
        ],
        [
            "I think I did something stupid, I typed my login on a page from an email that looked off",
            "I opened an invoice link and it asked me to sign in, now I'm worried it was a scam",
            "gave my password to a website that might have been fake, what now?",
            "a message tricked me into logging in somewhere weird",
        ],
        [
            "reset the password and revoke all sessions",
            "remove the malicious inbox rule",
            "purge the phishing email",
        ],
    ),
    A(
        "suspicious-signin",
        "security",
        "high",
        ["Impossible travel sign-in alert", "Sign-in from unknown country"],
        [
            "Alert: sign-in for {person} from an unfamiliar country minutes after a sign-in from the office.",
            "User received MFA prompts they did not initiate at night.",
            "Risky sign-in flagged for an account.",
        ],
        [
            "Confirmed with the user it was not them; denied the prompts, reset the password, revoked sessions and "
            "added a conditional access policy blocking sign-ins from outside the country.",
            "Reset the password and revoked sessions; conditional access policy now blocks foreign sign-ins.",
        ],
        [
            "my phone keeps asking me to approve logins I never started",
            "I got a notice that someone signed into my account from abroad",
            "strange approval requests popped up at 3am on my mobile",
            "warning email said there was a login from a country I've never been to",
        ],
        ["reset the password and revoke sessions", "add a conditional access policy"],
    ),
    A(
        "lost-device",
        "security",
        "urgent",
        ["Lost laptop {device}", "Stolen laptop reported"],
        [
            "{person} left the {laptop} ({device}) on the train.",
            "Laptop stolen from car; contains work files.",
            "Device lost while travelling.",
        ],
        [
            "Issued a remote wipe and lock from the device management console; confirmed BitLocker/FileVault "
            "encryption was on. Reset the user's password and prepared a replacement laptop.",
            "Remote wipe sent, disk encryption confirmed, password reset; replacement provided.",
        ],
        [
            "I think my work laptop was stolen from my bag",
            "left my computer on the bus this morning, what should I do?",
            "my notebook is missing after the trip",
            "can't find the company laptop anywhere, I think I lost it travelling",
        ],
        ["issue a remote wipe", "confirm disk encryption", "reset the user's password"],
    ),
    A(
        "av-false-positive",
        "security",
        "normal",
        ["{edr} quarantined a legitimate file", "{edr} blocks {app} plug-in"],
        [
            "{edr} removed a file from {app}'s folder and the application now fails to start.",
            "Antivirus flagged an in-house macro spreadsheet as malicious.",
            "{edr} blocks a known supplier tool.",
        ],
        [
            "Checked the file hash on VirusTotal (clean, signed by the vendor), restored it from quarantine and "
            "added an exclusion for the file hash in {edr}.",
            "Restored the file from quarantine after verifying it and added a hash exclusion in {edr}.",
        ],
        [
            "the virus scanner deleted something and now a program I need won't open",
            "security software keeps blocking a file I know is safe",
            "the antivirus thinks our spreadsheet is dangerous and removes it",
            "one of my tools is being stopped by the protection software",
        ],
        ["restore the file from quarantine", "add an exclusion for the file hash"],
    ),
    # ---- phones -------------------------------------------------------------------------------------------
    A(
        "deskphone-unregistered",
        "phones",
        "high",
        ["{deskphone} shows 'no service'", "Desk phone not registered"],
        [
            "{deskphone} in {room} displays 'No service' and has no dial tone.",
            "Phone not registered to {phones} after network change.",
            "Desk phone dead in {room}.",
        ],
        [
            "The phone lost its provisioning after the switch change. Factory reset the handset and re-provisioned "
            "it from {phones}; confirmed the port is in the voice VLAN with PoE.",
            "Re-provisioned the handset after a factory reset; port moved to the voice VLAN.",
        ],
        [
            "my office telephone has no tone when I pick it up",
            "the phone on my desk just says no service",
            "can't make or take calls from the handset at my desk",
            "our landline phone at the front stopped working",
        ],
        ["factory reset the handset", "re-provision the phone", "voice VLAN"],
    ),
    A(
        "softphone-audio",
        "phones",
        "normal",
        ["No audio on {meet} calls", "Headset microphone not working in {meet}"],
        [
            "{person} can hear others in {meet} but nobody hears them; headset mic works in other apps.",
            "Microphone not detected in {meet} on {device}.",
            "Audio one-way on calls.",
        ],
        [
            "Selected the headset as the microphone in the app's device settings and allowed microphone access "
            "in the operating system privacy settings. Updated the headset firmware.",
            "Allowed microphone access in privacy settings and picked the headset as input device.",
        ],
        [
            "people on my video calls can't hear me but I can hear them",
            "my headset mic doesn't pick anything up in meetings",
            "during online calls I'm muted somehow even though I'm not",
            "colleagues say I'm silent when I talk on calls",
        ],
        ["select the headset as the microphone", "allow microphone access in privacy settings"],
    ),
    A(
        "meeting-room-camera",
        "phones",
        "normal",
        ["Meeting room camera not detected", "{meet} room system: camera black"],
        [
            "The conference camera in {room} is not detected by the room PC; {meet} shows no video.",
            "Room camera black on calls.",
            "Video bar not working in {room}.",
        ],
        [
            "The USB hub behind the screen had lost power. Re-seated the USB cable, power-cycled the video bar and "
            "selected it as the camera in {meet}.",
            "Power-cycled the video bar and re-seated its USB cable; selected it in {meet} settings.",
        ],
        [
            "the camera in the meeting room isn't showing anything on our calls",
            "people on the other end can't see us in {room}",
            "the video in the conference room is just a black square",
            "our room's webcam isn't picked up by the computer",
        ],
        ["power-cycle the video bar", "re-seat the USB cable"],
    ),
    A(
        "voicemail-pin",
        "phones",
        "low",
        ["Voicemail PIN reset", "Cannot access voicemail"],
        [
            "{person} forgot their voicemail PIN for {phones}.",
            "Voicemail locked after wrong PIN attempts.",
            "Need voicemail access reset.",
        ],
        [
            "Reset the voicemail PIN in the {phones} admin portal and sent the temporary PIN; the user changes it "
            "on first login.",
            "Temporary voicemail PIN set in the admin portal; user sets a new one at first access.",
        ],
        [
            "I can't listen to my phone messages, don't remember the code",
            "how do I get back into my answerphone?",
            "my message box on the phone is locked",
            "forgot the number you type to hear recorded messages",
        ],
        ["reset the voicemail PIN", "change it on first login"],
    ),
    # ---- other --------------------------------------------------------------------------------------------
    A(
        "desk-move",
        "other",
        "low",
        ["Desk move: {person} to {room}", "Relocation of workstation"],
        [
            "{person} is moving to {room} next week; PC, phone and monitors need to move.",
            "Office move request for a staff member.",
            "Workstation relocation required.",
        ],
        [
            "Scheduled the move out of hours; moved the PC, monitors and phone, patched the new desk's port and "
            "tested network and phone. Updated the asset register.",
            "Moved the equipment, patched the port at the new desk and updated the asset register.",
        ],
        [
            "I'm changing desks next week, can someone help move my computer and phone?",
            "our team is relocating to another room, how do we get our equipment over?",
            "need my workstation moved to a different office",
            "who handles moving IT stuff when we change seats?",
        ],
        ["move the PC, monitors and phone", "update the asset register"],
    ),
    A(
        "purchase-advice",
        "other",
        "low",
        ["Laptop purchase advice", "Quote for new equipment"],
        [
            "Manager asks which laptop to buy for a new role; budget approved.",
            "Request for a quote for two new monitors.",
            "Advice on buying equipment.",
        ],
        [
            "Recommended the standard build ({laptop}) from the approved hardware list and raised a quote via the "
            "procurement portal for manager approval.",
            "Quote raised from the approved hardware list for the standard build.",
        ],
        [
            "what computer should we buy for someone joining?",
            "I'd like a price for a couple of extra screens",
            "which equipment are we allowed to order?",
            "can you recommend a laptop model for our team?",
        ],
        ["the approved hardware list", "raise a quote"],
    ),
]

UNCOVERED_IT = [
    ("The badge reader at the loading door beeps red for everyone", "other"),
    ("our digital signage screen in the lobby shows yesterday's slides", "other"),
    ("the CCTV recorder says one of its disks has failed", "hardware"),
    ("the smart thermostat in the office lost its connection to the app", "other"),
    ("I need data recovered from an old floppy disk", "hardware"),
    ("the projector remote stopped working even with new batteries", "hardware"),
    ("how do I set up a 3D printer for the model shop?", "printers"),
    ("the electronic whiteboard pen doesn't write in the right place", "hardware"),
    ("our domain name renewal notice says it expires next month", "other"),
    ("can you build us a website for our summer event?", "other"),
    ("the fax line is making strange noises", "phones"),
    ("our payment card terminal says declined for every customer", "other"),
]

OFF_TOPIC = [
    "what time does the canteen open on Fridays?",
    "can you recommend a good place for a team lunch?",
    "write me a short poem about autumn leaves",
    "how many days of annual leave do I have left?",
    "who won the football last night?",
    "what's the visitor parking policy?",
    "is it going to rain tomorrow afternoon?",
    "can I bring my dog to the office?",
    "how do I claim back my train fare as an expense?",
    "what's a good recipe for banana bread?",
    "when is the next bank holiday?",
    "translate 'good morning' into Portuguese",
]

# Colour added to fault reports only: a new-starter or purchase request does not "start after the weekend".
CONTEXT_LINES = [
    "Started after the weekend.",
    "Reported by phone.",
    "Happens several times a day.",
    "Workaround: using a colleague's machine.",
    "",
    "",
]
REQUESTS = {"new-starter", "leaver", "software-install", "purchase-advice", "desk-move", "calendar-delegate"}
CLOSINGS = ["Confirmed working with the user.", "User confirmed fixed.", "Closed after follow-up.", ""]
PRIORITIES = ["low", "normal", "high", "urgent"]


def pick(slots: dict, rng: random.Random) -> dict:
    """One concrete value per slot, drawn once per document so its problem and resolution agree."""
    return {key: rng.choice(value) if isinstance(value, list) else value for key, value in slots.items()}


def fill(template: str, values: dict) -> str:
    return template.format(**values)


def _priority(base: str, rng: random.Random) -> str:
    index = PRIORITIES.index(base)
    if rng.random() < 0.2:
        index = max(0, min(len(PRIORITIES) - 1, index + rng.choice((-1, 1))))
    return PRIORITIES[index]


def _transcript(arch: dict, values: dict, rng: random.Random) -> tuple[str, str]:
    problem = fill(rng.choice(arch["bodies"]), values)
    fix = fill(rng.choice(arch["resolutions"]), values)
    person = values["person"]
    body = "\n".join(
        [
            f"Customer: Hi, it's {person}. {problem}",
            "Engineer: Thanks, let me take a look remotely.",
            f"Engineer: {fix}",
            "Customer: That's sorted it, thank you.",
        ]
    )
    return body, fix


def _article(arch: dict, values: dict) -> tuple[str, str]:
    steps = fill(arch["resolutions"][0], values)
    problem = fill(arch["bodies"][-1], values)
    return f"Symptoms: {problem}\n\nWhat to do: {steps}", ""


# What a customer writes after a suggestion did not help.
FOLLOW_UPS = [
    "I tried that and it is still happening",
    "did all of that, no change unfortunately",
    "that didn't work, same problem as before",
    "still broken after doing what you said",
]


def _follow_ups(documents: list[dict], queries: list[dict], seed: int) -> list[dict]:
    """Per site, two follow-ups: the customer asked, was given every fix the site has on record for the
    problem, and writes back that it did not help. Nothing new is left to say, so the right answer is
    to hand over to an engineer without repeating a step (scored as a refusal, and for repeats).

    A separate generator, so adding follow-ups changed no other byte of the dataset.
    """
    rng = random.Random(seed * 1000 + 2)
    follow_ups = []
    for site in SITES:
        asked = [q for q in queries if q["site"] == site and q["answerable"] and q.get("archetype")]
        for number, query in enumerate(rng.sample(asked, 2), 1):
            fixes = [d["resolution"] for d in documents if d["id"] in query["relevant"] and d["resolution"]]
            follow_ups.append(
                {
                    "id": f"{query['id']}-f{number}",
                    "site": site,
                    "text": rng.choice(FOLLOW_UPS),
                    "history": [
                        {"role": "customer", "text": query["text"]},
                        {"role": "assistant", "text": "\n".join(fixes)},
                    ],
                    "category": query["category"],
                    "relevant": [],
                    "answerable": False,
                    "why_unanswerable": "follow-up: every fix on record was already suggested",
                    "split": "dev" if number == 1 else "test",
                }
            )
    return follow_ups


def _assign_splits(queries: list[dict], seed: int) -> None:
    """Half of each site's queries are "dev" (tune thresholds there), half "test" (report there).

    A separate generator, so adding splits changed no other byte of the dataset.
    """
    rng = random.Random(seed * 1000 + 1)
    for site in SITES:
        own = [query for query in queries if query["site"] == site]
        rng.shuffle(own)
        for index, query in enumerate(own):
            query["split"] = "dev" if index < len(own) // 2 else "test"


def build(seed: int = 7) -> tuple[dict, list[dict], list[dict]]:
    """Return (meta, documents, queries); deterministic for a given seed."""
    rng = random.Random(seed)
    documents: list[dict] = []
    queries: list[dict] = []
    uncovered = UNCOVERED_IT[:]
    off_topic = OFF_TOPIC[:]
    rng.shuffle(uncovered)
    rng.shuffle(off_topic)
    for site_index, (site, slots) in enumerate(SITES.items()):
        absent = set(rng.sample([a["slug"] for a in ARCHETYPES], 6))
        doc_number = query_number = 0
        for arch in ARCHETYPES:
            if arch["slug"] in absent:
                continue
            ids = []
            count = rng.choice((2, 3, 3, 4, 5))
            kinds = ["ticket"] * count
            if rng.random() < 0.35:
                kinds[-1] = "transcript"
            if rng.random() < 0.25:
                kinds.append("article")
            for kind in kinds:
                values = pick(slots, rng)
                doc_number += 1
                doc_id = f"{site}-d{doc_number:03d}"
                if kind == "ticket":
                    body = fill(rng.choice(arch["bodies"]), values)
                    extra = "" if arch["slug"] in REQUESTS else rng.choice(CONTEXT_LINES)
                    body = f"{body} {extra}".strip()
                    resolution = (
                        f"{fill(rng.choice(arch['resolutions']), values)} {rng.choice(CLOSINGS)}".strip()
                    )
                    title = fill(rng.choice(arch["titles"]), values)
                elif kind == "transcript":
                    body, resolution = _transcript(arch, values, rng)
                    title = f"Chat: {fill(rng.choice(arch['titles']), values)}"
                else:
                    body, resolution = _article(arch, values)
                    generic = [t for t in arch["titles"] if "{device}" not in t and "{person}" not in t]
                    title = f"How to fix: {fill((generic or arch['titles'])[0], values)}"
                documents.append(
                    {
                        "id": doc_id,
                        "site": site,
                        "kind": kind,
                        "title": title,
                        "body": body,
                        "resolution": resolution,
                        "category": arch["category"],
                        "priority": None if kind == "article" else _priority(arch["priority"], rng),
                        "archetype": arch["slug"],
                    }
                )
                ids.append(doc_id)
            n_queries = 3 if rng.random() < 0.35 else 2
            for template in rng.sample(arch["queries"], n_queries):
                values = pick(slots, rng)
                query_number += 1
                queries.append(
                    {
                        "id": f"{site}-q{query_number:03d}",
                        "site": site,
                        "text": fill(template, values),
                        "category": arch["category"],
                        "relevant": ids,
                        "facts": [fill(fact, values) for fact in arch["facts"]],
                        "answerable": True,
                        "archetype": arch["slug"],
                    }
                )
        # Unanswerable: a problem this site never had, an IT problem nobody had, and off-topic questions.
        for arch in ARCHETYPES:
            if arch["slug"] in absent:
                values = pick(slots, rng)
                query_number += 1
                queries.append(
                    {
                        "id": f"{site}-q{query_number:03d}",
                        "site": site,
                        "text": fill(rng.choice(arch["queries"]), values),
                        "category": arch["category"],
                        "relevant": [],
                        "answerable": False,
                        "why_unanswerable": f"no document of this site covers '{arch['slug']}'",
                    }
                )
        for text, category in uncovered[site_index * 3 : site_index * 3 + 3]:
            query_number += 1
            queries.append(
                {
                    "id": f"{site}-q{query_number:03d}",
                    "site": site,
                    "text": text,
                    "category": category,
                    "relevant": [],
                    "answerable": False,
                    "why_unanswerable": "IT problem no document covers",
                }
            )
        for text in off_topic[site_index * 3 : site_index * 3 + 3]:
            query_number += 1
            queries.append(
                {
                    "id": f"{site}-q{query_number:03d}",
                    "site": site,
                    "text": text,
                    "relevant": [],
                    "answerable": False,
                    "why_unanswerable": "off-topic",
                }
            )
    _assign_splits(queries, seed)
    queries.extend(_follow_ups(documents, queries, seed))
    meta = {
        "name": "it-helpdesk",
        "source": "synthetic: evals/datasets/build_it_helpdesk.py (seeded templates, checked by hand on a sample)",
        "license": "CC0-1.0",
        "seed": seed,
        "categories": CATEGORIES,
        "priorities": PRIORITIES,
        "sites": list(SITES),
    }
    return meta, documents, queries


def write(out: Path, seed: int = 7) -> tuple[int, int]:
    meta, documents, queries = build(seed)
    out.mkdir(parents=True, exist_ok=True)
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    for name, rows in (("documents.jsonl", documents), ("queries.jsonl", queries)):
        with (out / name).open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(documents), len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="fixtures/evals/it-helpdesk")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    documents, queries = write(Path(args.out), args.seed)
    print(f"wrote {documents} documents and {queries} queries to {args.out}")  # noqa: T201 - CLI output


if __name__ == "__main__":
    main()
