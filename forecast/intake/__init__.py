"""Layer 3: news intake, the fetching half (no store: what is kept is decided above).

Feeds are fetched and read into items; a URL or a saved HTML file becomes a report draft.

Modules, in the order data flows through them:

- ``fetch``: the one HTTP GET everything uses: timeouts, a size limit, a redirect limit,
  http and https only, conditional requests (ETag, Last-Modified);
- ``feeds``: RSS and Atom into ``FeedItem`` records, each with a key that says when two
  are one item; one feed or many fetched at once, one feed's failure kept to itself;
- ``extract``: an article page (fetched, or a file's bytes) into a ``Draft``: title, date,
  outlet, main text, language, and the original bytes with the encoding they were read in;
- ``language``: which language a text is in (layer 0: pure, no I/O).

Every failure is a ``ForecastError`` with one line for the analyst. Importing this package
imports none of the libraries: each module imports them where they are used, so commands
that do not take in news start as fast as before.
"""
