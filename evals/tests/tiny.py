"""A tiny two-site dataset for end-to-end tests: five problems per site, two documents each, ten queries."""

from __future__ import annotations

import json
from pathlib import Path

PROBLEMS = {
    "printers": (
        "Print jobs stuck in the queue for the copier",
        "Documents sit in the print queue with an error and never print.",
        "Stopped the print spooler, cleared the stuck jobs and restarted the spooler.",
        "nothing comes out of the printer when I print, my documents just wait",
        ["restart the print spooler"],
    ),
    "network": (
        "VPN will not connect from home",
        "The VPN client times out when connecting to the office gateway from home.",
        "Reinstalled the latest VPN client and re-imported the connection profile.",
        "working from home I cannot reach the office network, the tunnel app never connects",
        ["reinstall the latest VPN client"],
    ),
    "email": (
        "Mailbox full, cannot send email",
        "Outlook says the mailbox storage quota is exceeded and outgoing mail is blocked.",
        "Enabled the online archive for the mailbox and emptied the Deleted Items folder.",
        "I am told my email has no room left and I cannot send anything",
        ["enable the online archive"],
    ),
    "accounts": (
        "Account locked out after password expiry",
        "The user is locked out of Windows after several failed sign-ins.",
        "Unlocked the account and reset the password.",
        "it says my login is blocked and I cannot get into my computer",
        ["unlock the account"],
    ),
    "hardware": (
        "External monitors not detected via the dock",
        "Both external monitors stay black with no signal when the laptop is docked.",
        "Updated the dock firmware and the graphics driver, then power-cycled the dock.",
        "my big screens stay black when I plug my laptop in at the desk",
        ["update the dock firmware"],
    ),
}
SITES = ("tiny-one", "tiny-two")


def write_tiny_dataset(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    documents, queries = [], []
    for site in SITES:
        for category, (title, body, resolution, question, facts) in PROBLEMS.items():
            ids = []
            for variant, kind in enumerate(("ticket", "transcript" if category == "email" else "ticket")):
                doc_id = f"{site}-{category}-{variant}"
                text = body if kind == "ticket" else f"Customer: {body}\nEngineer: {resolution}"
                documents.append(
                    {
                        "id": doc_id,
                        "site": site,
                        "kind": kind,
                        "title": f"{title} ({site} #{variant})",
                        "body": text,
                        "resolution": resolution,
                        "category": category,
                        "priority": "normal",
                    }
                )
                ids.append(doc_id)
            if category != "hardware":
                queries.append(
                    {
                        "id": f"{site}-{category}",
                        "site": site,
                        "text": question,
                        "category": category,
                        "relevant": ids,
                        "facts": facts,
                        "answerable": True,
                    }
                )
        queries.append(
            {
                "id": f"{site}-offtopic",
                "site": site,
                "text": "what is a good recipe for banana bread?",
                "relevant": [],
                "answerable": False,
            }
        )
    (folder / "meta.json").write_text(json.dumps({"name": "tiny", "categories": list(PROBLEMS)}))
    for name, rows in (("documents.jsonl", documents), ("queries.jsonl", queries)):
        (folder / name).write_text("".join(json.dumps(row) + "\n" for row in rows))
    return folder
