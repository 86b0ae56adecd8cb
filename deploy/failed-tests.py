#!/usr/bin/python3
"""Print the failed tests of `dotnet test` TRX files, last, so a log read from its tail shows what failed and why.

    deploy/failed-tests.py RESULTS_DIR
"""
import pathlib
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
STACK_LINES = 12


def main(results_dir: str) -> None:
    failed = 0
    for trx in sorted(pathlib.Path(results_dir).rglob("*.trx")):
        root = ET.parse(trx).getroot()
        for result in root.iterfind(".//t:UnitTestResult", NS):
            if result.get("outcome") != "Failed":
                continue
            failed += 1
            print(f"\nFAILED {result.get('testName')} ({result.get('duration')}) in {trx.stem}")
            message = result.findtext("t:Output/t:ErrorInfo/t:Message", "", NS).strip()
            stack = result.findtext("t:Output/t:ErrorInfo/t:StackTrace", "", NS).strip().splitlines()
            print("  " + message.replace("\n", "\n  "))
            for line in stack[:STACK_LINES]:
                print("    " + line.strip())
    print(f"\n{failed} failed test(s) in {results_dir}")


if __name__ == "__main__":
    main(sys.argv[1])
