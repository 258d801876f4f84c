"""Which of the given RBD images a client has open (watchers): the "volume in use"
verdict of snapport's manageable volumes for many images over one cluster connection,
where one `rbd status` per image costs a process and a monitor session each.

argv: POOL CONF USER NAME...  (CONF and USER empty: librados' own defaults)
stdout: {"watched": [NAME...], "failed": {NAME: REASON}}
"""

import json
import sys
from concurrent.futures import ThreadPoolExecutor

import rados
import rbd

# librbd releases the GIL: opens overlap their round trips to the OSDs
THREADS = 8


def watched(ioctx, name):
    """True or False, or why it cannot be told; an image gone meanwhile is not in use."""
    try:
        with rbd.Image(ioctx, name, read_only=True) as image:
            return any(True for _ in image.watchers_list())
    except rbd.ImageNotFound:
        return False
    except rbd.Error as err:
        return str(err)


def main():
    pool, conf, user, names = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    cluster = rados.Rados(rados_id=user or None)
    cluster.conf_read_file(conf or None)  # None: $CEPH_CONF, /etc/ceph/ceph.conf, ...
    cluster.connect()
    try:
        with cluster.open_ioctx(pool) as ioctx:
            with ThreadPoolExecutor(THREADS) as threads:
                verdicts = list(threads.map(lambda name: watched(ioctx, name), names))
    finally:
        cluster.shutdown()
    json.dump(
        {
            "watched": [name for name, verdict in zip(names, verdicts) if verdict is True],
            "failed": {name: verdict for name, verdict in zip(names, verdicts) if isinstance(verdict, str)},
        },
        sys.stdout,
    )


main()
