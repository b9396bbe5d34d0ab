//! Server-drawn SVG for the web pages (`contracts/web.md`): pictures that
//! must exist without JavaScript and without map tiles. Pure functions from
//! numbers to markup; no I/O, no dependencies.

