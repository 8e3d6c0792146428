import sys

from latticeml.cli import main

sys.exit(main())
