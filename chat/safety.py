"""Security incidents in the chat: recognised without the language model, answered with vetted steps.

A customer who clicked a phishing link or lost a laptop must not get a guessed answer from similar
tickets, and must not wait for the ticket offer: the reply is fixed (the site's KB article for the
incident, or the built-in steps below) and an urgent ticket is opened at once (chat.services).

Detection is deterministic: the question's MiniLM vector against a few prototype phrases per incident
type, and against "near misses" (ordinary IT questions that share the vocabulary: a forgotten or
expired password, a slow laptop, an antivirus false alarm). A question is an incident when the best
incident prototype beats the best near miss by a margin and either the similarity is high on its own or
one of the type's key terms is present. The key terms keep "my password expired" from being an account
takeover however close the vectors are. The thresholds come from data (docs/chat.md, "Security
incidents"); an embedding model without thresholds never calls a question an incident.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np

from retrieval.embedders import Embedder, get_embedder


@dataclass(frozen=True)
class IncidentSpec:
    """One incident type as detection and the reply use it: a built-in default, or a site's version."""

    slug: str
    name: str
    prototypes: tuple[str, ...]
    key_terms: tuple[str, ...]
    steps: str
    article_id: int | None = None


DEFAULT_INCIDENTS = (
    IncidentSpec(
        slug="phishing",
        name="Phishing: link clicked or credentials typed",
        prototypes=(
            "I clicked a link in a phishing email",
            "I entered my password on a fake login page from an email",
            "I opened an attachment in a suspicious email and now I am worried",
            "a scam email tricked me into signing in on a website",
            "I gave my username and password to someone pretending to be IT",
            "I replied to a fake email with my bank details or login",
            "I scanned a QR code from an email and typed my credentials",
            "the email looked like it came from our boss and I followed the link",
            "an email tricked me into logging in on a website",
            "I replied to a message from someone pretending to be IT with my login details",
            "a caller claiming to be from IT support got my password and the code from my phone",
            "I signed in through a link in an email and now I doubt it was genuine",
            "I think I have been phished",
        ),
        key_terms=(
            "phish",
            "scam",
            "fake",
            "fraud",
            "spoof",
            "suspicious",
            "dodgy",
            "clicked",
            "link",
            "attachment",
            "tricked",
            "typed my",
            "entered my",
            "gave my",
            "put my",
            "qr code",
            "impersonat",
            "pretending",
            "looked off",
            "looked wrong",
            "not legit",
            "credential",
            "login details",
            "sign in details",
            "my details",
            "gave away",
            "gave it",
            "replied with",
            "wasn't really",
            "not really",
            "not genuine",
            "doubt",
            "pretend",
            "claiming",
            "claimed",
            "got me to",
            "put in my",
            "confirmed my",
            "saying they were",
            "read them",
            "was off",
            "spelling",
        ),
        steps=(
            "1. Change your password now, from another device you trust, and do not reuse it anywhere.\n"
            "2. If you used the same password elsewhere, change it there too.\n"
            "3. Do not click anything else in that email; leave it in your inbox for us to examine.\n"
            "4. Approve no sign-in requests you did not start yourself."
        ),
    ),
    IncidentSpec(
        slug="lost-device",
        name="Lost or stolen device",
        prototypes=(
            "my work laptop was stolen",
            "I lost my company phone",
            "I left my laptop on the train and it is gone",
            "someone took my work computer from my car",
            "my bag with the company laptop was stolen",
            "I cannot find my work mobile anywhere, I think I lost it",
            "the office was broken into and computers were taken",
            "my tablet with work email on it went missing",
            "the company phone is nowhere to be found",
            "my work phone fell out of my pocket somewhere and is gone",
        ),
        key_terms=(
            "lost",
            "lose",
            "stolen",
            "stole",
            "theft",
            "thief",
            "robbed",
            "nicked",
            "missing",
            "misplaced",
            "left my",
            "left the",
            "left it",
            "can't find",
            "cannot find",
            "cant find",
            "can not find",
            "gone",
            "taken",
            "took my",
            "broken into",
            "break-in",
            "burgl",
            "snatched",
            "disappeared",
            "vanished",
            "nowhere",
            "fell out",
            "walked off",
            "pickpocket",
        ),
        steps=(
            "1. Tell us which device it is and when and where you last had it.\n"
            "2. Change the password of your work account now, from another device, and do not reuse it.\n"
            "3. If it was stolen, report the theft to the police and keep the reference number.\n"
            "4. Do not wait to see if it turns up: we can lock and wipe it remotely, and unlock it if you "
            "find it."
        ),
    ),
    IncidentSpec(
        slug="ransomware",
        name="Ransomware or encrypted files",
        prototypes=(
            "a ransom message appeared on my screen",
            "all my files have been encrypted and renamed with a strange extension",
            "a message says my files are locked and I must pay bitcoin to get them back",
            "my documents will not open and they all have a weird new file ending",
            "a ransom note text file appeared in every folder",
            "the shared drive files were scrambled and a payment demand is shown",
            "my computer screen says it has been taken over and demands money",
            "ransomware on my PC",
            "a note in the folder says our files were encrypted and tells us to contact an email address",
            "they have our data and want money or they will publish it",
            "my files cannot be opened and have an extra extension added to their names",
        ),
        key_terms=(
            "ransom",
            "encrypt",
            "decrypt",
            "bitcoin",
            "crypto",
            "pay",
            "payment",
            "demand",
            "extension",
            "file ending",
            "renamed",
            "scrambled",
            "locking",
            "files are locked",
            "files have been locked",
            "locked my files",
            "unlock my files",
            "unlock the files",
            "gibberish",
            "countdown",
            "held hostage",
            "readme",
            "read me",
            ".enc",
            "crypt",
            "recover",
            "want money",
            "wants money",
            "demanding",
        ),
        steps=(
            "1. Unplug the network cable and turn off wifi on that computer now; do not switch it off.\n"
            "2. Do not pay and do not reply to the message.\n"
            "3. Take a photo of the screen and do not open any more files or shared folders.\n"
            "4. Warn colleagues near you not to open files on the shared drive until we say so."
        ),
    ),
    IncidentSpec(
        slug="breach",
        name="Suspected data breach",
        prototypes=(
            "I think we have had a data breach",
            "customer data was sent to the wrong person by mistake",
            "someone outside the company has access to our confidential files",
            "our client list has been leaked online",
            "a hacker got into our systems",
            "I sent a spreadsheet with personal data to an external address by accident",
            "we found our internal documents posted on a public website",
            "an unknown person accessed our database",
            "I emailed personal data of our clients to the wrong people",
            "our customer or staff data is being sold or published online",
            "our private documents turned up on a website or in search results",
            "a folder with personal data was open to everyone on the internet",
        ),
        key_terms=(
            "breach",
            "leak",
            "hack",
            "intrud",
            "intrusion",
            "attacker",
            "exposed",
            "exfiltrat",
            "wrong person",
            "wrong address",
            "wrong recipient",
            "wrong client",
            "by accident",
            "by mistake",
            "accidentally sent",
            "personal data",
            "confidential",
            "unauthori",
            "outsider",
            "outside the company",
            "public",
            "posted online",
            "dark web",
            "someone accessed",
            "unknown person",
            "wrong hands",
            "wrong people",
            "whole company",
            "everyone on the internet",
            "being sold",
            "sold online",
            "got hold",
            "turned up",
            "showing up in google",
            "journalist",
            "police",
            "external",
            "wrong file",
            "bank details",
            "client data",
            "client details",
            "customer data",
            "customer details",
            "not in the company",
            "got into",
            "stolen",
            "read everyone",
        ),
        steps=(
            "1. Do not delete anything and do not try to investigate further yourself.\n"
            "2. If data was sent to the wrong person, ask them in writing to delete it and to confirm.\n"
            "3. Write down what you saw, when, and which data or systems are involved.\n"
            "4. Tell nobody outside the company yet; we will help decide who has to be informed and when."
        ),
    ),
    IncidentSpec(
        slug="account-takeover",
        name="Account takeover",
        prototypes=(
            "someone else is logged into my account",
            "my account has been hacked",
            "someone changed my password and I did not do it",
            "emails I never wrote were sent from my mailbox",
            "I keep getting sign-in approval requests I did not start",
            "there is a login to my account from a country I have never been to",
            "my colleagues received strange messages from my email address",
            "a forwarding rule I did not create sends my email to an outside address",
            "I got a notice that my password was reset but I did not do it",
            "my account is sending messages or spam to my contacts on its own",
            "a new device signed in to my mailbox and it is not mine",
        ),
        key_terms=(
            "hack",
            "compromis",
            "someone",
            "somebody",
            "stranger",
            "not me",
            "wasn't me",
            "weren't me",
            "not mine",
            "isn't mine",
            "never sent",
            "never wrote",
            "never started",
            "never made",
            "never asked",
            "never requested",
            "never been",
            "never owned",
            "didn't send",
            "didn't start",
            "didn't make",
            "didn't do",
            "didn't ask",
            "didn't request",
            "did not",
            "don't know",
            "don't recognise",
            "don't recognize",
            "unknown",
            "unusual",
            "strange",
            "weird",
            "taken over",
            "took over",
            "abroad",
            "another country",
            "forward",
            "approv",
            "was this you",
            "on its own",
            "by itself",
            "new device",
            "sign in from",
            "login from",
            "logins from",
            "address book",
            "reset but",
        ),
        steps=(
            "1. Change your password now, from another device you trust, and do not reuse it.\n"
            "2. Approve no sign-in requests you did not start yourself, and tell us if they keep coming.\n"
            "3. Warn the people who received messages you did not send not to open them.\n"
            "4. Do not delete the strange messages or rules: we need them to see what happened."
        ),
    ),
)

DEFAULTS_BY_SLUG = {spec.slug: spec for spec in DEFAULT_INCIDENTS}

# Ordinary IT questions that share an incident's words: the margin is taken against the nearest of them.
NEAR_MISSES = (
    "I forgot my password",
    "my password expired and I need to change it",
    "my account is locked after too many wrong passwords",
    "how do I reset my password",
    "the multi-factor code does not arrive on my new phone",
    "my laptop is slow",
    "my laptop will not turn on",
    "I dropped my laptop and the screen is cracked",
    "I need a new laptop or phone",
    "the antivirus blocks a file I know is safe",
    "a file I need was quarantined by the virus scanner",
    "I received a spam email, how do I block the sender",
    "a legitimate email went to my junk folder",
    "I cannot open a file, it says it is corrupted",
    "my files on the shared drive are missing after a sync",
    "I need access to a shared folder",
    "a colleague left the company, remove their access",
    "I deleted a file by mistake, can you restore it",
    "the website shows a certificate warning",
    "my mailbox is full",
)

# Per embedding model: (margin over the nearest near miss and similarity needed without a key term,
# similarity needed with one key term, with two or more). Chosen on data (docs/chat.md).
THRESHOLDS = {"local:all-MiniLM-L6-v2": (0.05, 0.65, 0.5, 0.35)}


@dataclass(frozen=True)
class Incident:
    """A question recognised as a security incident, with the evidence it rests on."""

    spec: IncidentSpec
    similarity: float
    near_miss: float
    key_terms: tuple[str, ...]


@functools.lru_cache(maxsize=256)
def _vectors(model_name: str, texts: tuple[str, ...]) -> np.ndarray:
    """Prototype vectors, embedded once per process for each set of texts (sites may edit theirs)."""
    return get_embedder().embed(list(texts))


_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def _within_one_edit(word: str, term: str) -> bool:
    """One typo (a letter missing, added, changed or two swapped) between two words of 5+ letters that
    start alike ("stollen"; but "picked" is not "nicked")."""
    if min(len(word), len(term)) < 5 or abs(len(word) - len(term)) > 1 or word[0] != term[0]:
        return False
    if len(word) == len(term):
        diffs = [i for i, (a, b) in enumerate(zip(word, term, strict=True)) if a != b]
        if len(diffs) == 2 and diffs[1] == diffs[0] + 1:
            return word[diffs[0]] == term[diffs[1]] and word[diffs[1]] == term[diffs[0]]
        return len(diffs) <= 1
    short, long = sorted((word, term), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _word_matches(word: str, part: str) -> bool:
    if word.startswith(part):
        return True
    # The word, or its start as long as the term give or take a letter (a typo inside a stem).
    return any(_within_one_edit(word[:n], part) for n in {len(word), len(part) - 1, len(part), len(part) + 1})


def key_terms_in(text: str, terms: tuple[str, ...]) -> list[str]:
    """The key terms the text contains: a term's words start words of the text in order, so "phish"
    matches "phishing"; a word of 5+ letters may carry one typo ("stollen")."""
    words = _WORD.findall(text.lower().replace("\u2019", "'"))
    found = []
    for term in terms:
        parts = _WORD.findall(term.lower())
        for start in range(len(words) - len(parts) + 1):
            window = words[start : start + len(parts)]
            if all(_word_matches(word, part) for word, part in zip(window, parts, strict=True)):
                found.append(term)
                break
    return found


def incident_detect(
    text: str, specs: list[IncidentSpec] | tuple[IncidentSpec, ...], embedder: Embedder | None = None
) -> Incident | None:
    """The incident `text` reports, of `specs`, or None (see the module docstring for the rule)."""
    embedder = embedder or get_embedder()
    thresholds = THRESHOLDS.get(embedder.model_name)
    if thresholds is None or not specs or not text.strip():
        return None
    margin, alone, with_term, with_terms = thresholds
    vector = embedder.embed([text])[0]
    near_miss = float((_vectors(embedder.model_name, NEAR_MISSES) @ vector).max())
    best: Incident | None = None
    for spec in specs:
        if not spec.prototypes:
            continue
        similarity = float((_vectors(embedder.model_name, spec.prototypes) @ vector).max())
        terms = key_terms_in(text, spec.key_terms)
        if terms and similarity < (with_term if len(terms) == 1 else with_terms):
            continue
        if not terms and (similarity < alone or similarity - near_miss < margin):
            continue
        candidate = Incident(spec, similarity, near_miss, tuple(terms))
        # A type whose key terms are present beats one that is merely closer ("a link I didn't send").
        if best is None or (bool(terms), similarity) > (bool(best.key_terms), best.similarity):
            best = candidate
    return best


def lines(text: str) -> tuple[str, ...]:
    """An admin's one-entry-per-line field as a tuple (blank lines dropped)."""
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())


def incident_for(*, site, text: str, embedder: Embedder | None = None) -> Incident | None:
    """The security incident a customer's question reports, judged by the site's incident types."""
    from chat.selectors import incident_types_for_site

    return incident_detect(text, incident_types_for_site(site=site), embedder)
