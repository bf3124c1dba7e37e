from codeservice.cli import main

main()
