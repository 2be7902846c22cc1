"""Harvest: fetch each registered body's annual reports from its own website.

For each body with ``source_url`` in the register and each report year in scope: follow the 年报 list
pages (with paging), pick the year's report by title and date, fetch the article page and its report
attachments, keep every byte in the warehouse's raw archive (by sha256, never overwritten), record every
attempt as evidence (``fetches``, ``fetch_log``), and place the reports where ``xxgk run`` picks them up
(``<db dir>/harvested/<body_id>/<year>/<sha256>.<ext>``).

Modules: ``client`` (a polite HTTP client: per-host limits, robots.txt, retries, size and redirect limits,
conditional GET), ``decode`` (GB2312/GBK/GB18030/UTF-8 pages), ``pages`` (list and article pages),
``years`` (which title is which year's report), ``article`` (an article's page and files are one report:
which is judged), ``stage`` (the harvest as plain functions), ``evidence``
(what the rest of the pipeline reads from a harvest), ``command`` (``xxgk harvest``).
"""
