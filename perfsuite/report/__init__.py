"""One view model per report, rendered to Markdown, HTML and JUnit."""
