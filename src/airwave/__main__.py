from airwave.cli.main import main

main()
