"""A small product catalog on FastAPI, as a team might run it.

- `GET /products/{product_id}`: an `async def` route awaiting its database
  (an async driver's round trip, here DB_ROUND_TRIP_S): it runs on the
  event loop, so a worker serves as many at once as arrive.
- `GET /reports/daily`: a `def` route calling a blocking client (a sync SDK
  or driver, here REPORT_BACKEND_S of waiting) and summing the catalog in
  SQLite: FastAPI runs it in anyio's thread pool, 40 threads per worker, so
  a worker serves at most 40 at once.

The waits stand in for the services a real deployment calls; their lengths
are what the suite's probe measures, without being told.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time

from fastapi import FastAPI, HTTPException

DB_ROUND_TRIP_S = 0.02
REPORT_BACKEND_S = 0.2

PRODUCTS = {
    1: {"id": 1, "name": "kettle", "price_cents": 3_499, "stock": 12},
    2: {"id": 2, "name": "teapot", "price_cents": 2_250, "stock": 0},
    3: {"id": 3, "name": "mug", "price_cents": 899, "stock": 140},
}

app = FastAPI(title="catalog")


@app.get("/products/{product_id}")
async def product(product_id: int) -> dict[str, object]:
    await asyncio.sleep(DB_ROUND_TRIP_S)
    found = PRODUCTS.get(product_id)
    if found is None:
        raise HTTPException(status_code=404, detail="no such product")
    return {**found, "in_stock": found["stock"] > 0}


@app.get("/reports/daily")
def daily_report() -> dict[str, object]:
    time.sleep(REPORT_BACKEND_S)
    with sqlite3.connect(":memory:") as db:
        db.execute("create table product (id integer, price_cents integer, stock integer)")
        db.executemany(
            "insert into product values (?, ?, ?)",
            [(p["id"], p["price_cents"], p["stock"]) for p in PRODUCTS.values()],
        )
        (value,) = db.execute("select sum(price_cents * stock) from product").fetchone()
    return {"products": len(PRODUCTS), "stock_value_cents": value}
