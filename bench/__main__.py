from bench.command import main

raise SystemExit(main())
