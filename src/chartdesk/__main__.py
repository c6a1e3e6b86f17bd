from chartdesk.cli import main

main()
