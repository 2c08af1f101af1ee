from troubleshooter.cli import main

main()
