"""An app whose import never finishes: its server never becomes ready."""

import time

print("hang_app: importing, and never finishing", flush=True)
time.sleep(3600)


async def app(scope, receive, send):  # never reached
    pass
