"""Time to first token and tokens per second of an OpenAI-compatible server, on the product's own prompts.

scripts/test-local-llm runs it against the llama-server it started (numbers in docs/ai.md). The reply
prompt is the one `OpenAIProvider.stream_reply` sends for two printer cases; the triage prompt and its
JSON schema are `categorize`'s. No prompt is served from the server's cache. The server's own counts
(llama-server's `timings`) are kept beside the client's clock, and the machine's load average with
them: on a shared 2-core machine it moves the numbers more than anything else.

    .venv/bin/python bench/local_llm.py --url http://127.0.0.1:8080/v1 --model smollm2-135m-instruct
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import openai  # noqa: E402

from ai.openai_provider import REPLY_INSTRUCTIONS, TRIAGE_INSTRUCTIONS, triage_schema  # noqa: E402
from ai.prompts import build_messages  # noqa: E402
from retrieval.grounding import context_from_cases  # noqa: E402
from testing.factories import printer_cases  # noqa: E402

CATEGORIES = ["printers", "network", "email", "accounts"]
PRIORITIES = ["low", "normal", "high", "urgent"]
QUESTION = "The printer in the back office says queue stuck and nothing prints"


def printer_context():
    site = SimpleNamespace(id=1, pk=1)

    return context_from_cases(site=site, cases=printer_cases(site))


def stream_once(client, model: str, messages: list[dict], max_tokens: int) -> dict:
    started = time.perf_counter()
    first = None
    tokens = 0
    timings = None
    stream = client.chat.completions.create(
        model=model,
        messages=messages,
        temperature=0.2,
        max_tokens=max_tokens,
        stream=True,
        # llama-server would reuse the identical prompt of the previous run: every run reads it afresh,
        # as a new ticket with new sources would be read.
        extra_body={"cache_prompt": False},
    )
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            tokens += 1  # llama-server sends one token per event
            if first is None:
                first = time.perf_counter()
        timings = (chunk.model_extra or {}).get("timings") or timings
    ended = time.perf_counter()
    return {
        "ttft_s": (first or ended) - started,
        "tokens": tokens,
        "client_tokens_per_s": (tokens - 1) / (ended - first)
        if first and tokens > 1 and ended > first
        else None,
        "server_generation_tokens_per_s": timings and timings.get("predicted_per_second"),
        "server_prompt_tokens_per_s": timings and timings.get("prompt_per_second"),
        "prompt_tokens": timings and timings.get("prompt_n"),
    }


def triage_once(client, model: str, messages: list[dict], sources: int) -> float:
    started = time.perf_counter()
    client.chat.completions.create(
        model=model,
        messages=messages,
        temperature=0,
        max_tokens=400,
        response_format={
            "type": "json_schema",
            "json_schema": triage_schema(CATEGORIES, PRIORITIES, sources),
        },
        extra_body={"cache_prompt": False},
    )
    return time.perf_counter() - started


def median(values):
    values = [value for value in values if value is not None]
    return round(statistics.median(values), 3) if values else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", default=os.environ.get("LOCAL_LLM_URL"), required=not os.environ.get("LOCAL_LLM_URL")
    )
    parser.add_argument("--model", default=os.environ.get("LOCAL_LLM_MODEL", "smollm2-135m-instruct"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--out", default=None, help="write the figures as JSON here too")
    args = parser.parse_args()

    client = openai.OpenAI(base_url=args.url, api_key="local-server-needs-no-key", max_retries=0, timeout=300)
    context = printer_context()
    reply_messages = build_messages(
        instructions=REPLY_INSTRUCTIONS.format(closing=""), text=QUESTION, context=context
    )
    triage_messages = build_messages(
        instructions=TRIAGE_INSTRUCTIONS.format(
            categories=", ".join(CATEGORIES), priorities=", ".join(PRIORITIES)
        ),
        text=QUESTION,
        context=context,
    )
    stream_once(client, args.model, reply_messages, 8)  # warm-up: the model's first run pages it in
    replies = [stream_once(client, args.model, reply_messages, args.max_tokens) for _ in range(args.runs)]
    triage = [triage_once(client, args.model, triage_messages, len(context.sources)) for _ in range(3)]
    figures = {
        "model": args.model,
        "runs": args.runs,
        "max_tokens": args.max_tokens,
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "reply_ttft_s": median(r["ttft_s"] for r in replies),
        "reply_client_tokens_per_s": median(r["client_tokens_per_s"] for r in replies),
        "server_generation_tokens_per_s": median(r["server_generation_tokens_per_s"] for r in replies),
        "server_prompt_tokens_per_s": median(r["server_prompt_tokens_per_s"] for r in replies),
        "reply_prompt_tokens": median(r["prompt_tokens"] for r in replies),
        "triage_latency_s": median(triage),
        "replies": replies,
    }
    text = json.dumps(figures, indent=2)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
