"""The security suite's figures: each test records what it tried and what failed; they are printed
at the end of the run (and quoted in docs/security.md)."""

FIGURES: dict[str, str] = {}


def record(control: str, figure: str) -> None:
    FIGURES[control] = figure


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("security figures")
        for control, figure in sorted(FIGURES.items()):
            terminalreporter.write_line(f"{control}: {figure}")
