"""``python -m telephony_adapters.testing``: the AMI emulator on its own, until interrupted."""

import sys

from telephony_adapters.testing.ami_emulator import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m telephony_adapters.testing"))
