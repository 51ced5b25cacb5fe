import sys

from alprd.cli import main

sys.exit(main())
