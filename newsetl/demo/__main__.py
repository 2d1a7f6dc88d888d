"""``python -m newsetl.demo``: serve the demo sites and the error site until Ctrl-C."""

import time

from newsetl.demo.server import serve
from newsetl.demo.sites import demo_sites, error_site


def main() -> None:
    sites = [*demo_sites(), error_site()]
    with serve(*sites) as servers:
        for srv in servers:
            print(f"{srv.site.name:>8}  {srv.url}/", flush=True)
        print("Serving; press Ctrl-C to stop.", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
