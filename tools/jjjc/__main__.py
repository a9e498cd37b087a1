"""python -m tools.jjjc: the same as the console script jjjc."""

from tools.jjjc.app import main

main()
