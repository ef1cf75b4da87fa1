from tagtrail.cli import main

main()
