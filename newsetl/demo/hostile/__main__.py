"""``python -m newsetl.demo.hostile``: serve the hostile site (and the offsite target) until
Ctrl-C."""

from newsetl.demo.hostile.raw import HostileServer
from newsetl.demo.hostile.site import hostile_site, landing_site
from newsetl.demo.server import SiteServer, wait_for_ctrl_c


def main() -> None:
    with SiteServer(landing_site()) as landing:
        with HostileServer(hostile_site(landing.url + "/landing")) as srv:
            print(f"hostile  {srv.url}/\nlanding  {landing.url}/landing", flush=True)
            wait_for_ctrl_c()


if __name__ == "__main__":
    main()
