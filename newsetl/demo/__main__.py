"""``python -m newsetl.demo``: serve the demo sites and the error site until Ctrl-C."""

from newsetl.demo.server import serve, wait_for_ctrl_c
from newsetl.demo.sites import demo_sites, error_site


def main() -> None:
    with serve(*demo_sites(), error_site()) as servers:
        for srv in servers:
            print(f"{srv.site.name:>8}  {srv.url}/", flush=True)
        wait_for_ctrl_c()


if __name__ == "__main__":
    main()
