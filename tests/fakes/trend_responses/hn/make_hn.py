"""Writes the HN Algolia recordings in this folder deterministically (see ../README.md).

Synthetic (no network was used): three "Who is hiring?" threads with posts written to hit
the keyword traps, plus the same account's other monthly threads, which must be skipped.
Run from the repository root: ``.venv/bin/python tests/fakes/trend_responses/hn/make_hn.py``.
"""

import json
from pathlib import Path

OUT = Path(__file__).parent


def post(n: int, text: str | None, created: str, replies: tuple[str, ...] = ()) -> dict:
    return {
        "id": n, "author": None if text is None else f"employer{n}", "created_at": created,
        "created_at_i": 0, "type": "comment", "text": text, "points": None, "parent_id": 0,
        "children": [{"id": n * 10 + i, "author": f"reader{i}", "created_at": created,
                      "type": "comment", "text": r, "children": []}
                     for i, r in enumerate(replies, 1)],
    }


THREADS = {
    "45800000": ("Ask HN: Who is hiring? (November 2026)", "2026-11-02T16:00:07Z", [
        "Acme AI | ML Engineer | REMOTE (US) | We train models in PyTorch&#x2F;JAX on our "
        "own cluster.<p>Apply: jobs@acme.example",
        "Lumen Outdoor | Firmware Engineer | Denver | Our torch (the 2000-lumen kind) needs "
        "better battery firmware.",
        "Ledgerly | Senior Java Developer | Berlin | JAX-RS, Spring Boot, Kafka, PostgreSQL",
        "CloudOps Co | DevOps | Remote | Terraform (TF) modules: main.tf, variables.tf. AWS.",
        "SightLine | Computer Vision | Toronto | tf.keras models in production, moving to "
        "Keras 3.",
        "Browserly | Frontend | Remote | TensorFlow.js in the browser, React, TypeScript",
        "Gripper Robotics | Robotics SWE | Boston | pytorch_lightning for training, libtorch "
        "for C++ inference",
        "Tabular Inc | Data Engineer | NYC | Python, SQL, dbt, Airflow",
        None,  # a deleted post
        "Deep Research Lab | Research Engineer | London | "
        '<a href="https:&#x2F;&#x2F;github.com&#x2F;jax-ml&#x2F;jax" rel="nofollow">JAX</a> '
        "and Flax on TPUs",
        "Edgewise | Android ML | Remote (EU) | TFLite on device, models trained with Keras",
        "OldLab | Maintenance | Remote | Torch7 (Lua) legacy code, some C",
    ]),
    "45400000": ("Ask HN: Who is hiring? (October 2026)", "2026-10-01T15:00:11Z", [
        "Vectorial | LLM Infra | SF | PyTorch, CUDA, Triton kernels",
        "Acme AI | ML Engineer | REMOTE | PyTorch",
        "Seasonal | Forecasting | Remote | TensorFlow and Keras models in production",
        "Payments Co | Backend | Remote | Go, Postgres",
        "Jaxon Analytics | Data | Jacksonville | SQL and Python",
        "Shopfront | Fullstack | Remote | Rails, React",
        "Quanta | Research | NYC | JAX",
        "Greenfield | ML | Remote | PyTorch or JAX, your choice",
    ]),
    "45000000": ("Ask HN: Who is hiring? (September 2026)", "2026-09-01T15:00:03Z", [
        "Vectorial | LLM Infra | SF | PyTorch, CUDA",
        "Seasonal | Forecasting | Remote | TensorFlow 2, Keras",
        "Payments Co | Backend | Remote | Go, Postgres",
        "Legacy Vision | ML | Remote | TensorFlow 1.x to PyTorch migration",
        "Shopfront | Fullstack | Remote | Rails, React",
        None,
    ]),
}
OTHER = [
    ("45800001", "Ask HN: Who wants to be hired? (November 2026)", "2026-11-02T16:00:08Z"),
    ("45800002", "Ask HN: Freelancer? Seeking freelancer? (November 2026)",
     "2026-11-02T16:00:09Z"),
]
REPLIES = {0: ("Is PyTorch experience required?", "Do you sponsor visas? We use JAX too.")}


def main() -> None:
    hits = []
    for tid, (title, created, posts) in THREADS.items():
        children = [post(int(tid) + i + 1, text, created, REPLIES.get(i, ()) if tid == "45800000"
                         else ()) for i, text in enumerate(posts)]
        item = {"id": int(tid), "created_at": created, "created_at_i": 0, "type": "story",
                "author": "whoishiring", "title": title, "url": None, "text": None,
                "points": 500, "parent_id": None, "children": children}
        (OUT / "items").mkdir(exist_ok=True)
        (OUT / "items" / f"{tid}.json").write_text(json.dumps(item, indent=1) + "\n")
        hits.append((created, tid, title, len(posts)))
    hits += [(created, tid, title, 300) for tid, title, created in OTHER]
    hits.sort(reverse=True)
    body = {"hits": [{"objectID": tid, "title": title, "author": "whoishiring",
                      "created_at": created, "created_at_i": 0, "num_comments": n,
                      "_tags": ["story", "author_whoishiring", f"story_{tid}"]}
                     for created, tid, title, n in hits],
            "nbHits": len(hits), "page": 0, "nbPages": 1, "hitsPerPage": 50}
    (OUT / "search_by_date.json").write_text(json.dumps(body, indent=1) + "\n")


main()
