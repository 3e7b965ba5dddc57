"""provision render: the configs each selected school's devices should have."""

from __future__ import annotations

from pathlib import Path

import click

from provision.cli.errors import OK
from provision.cli.help_text import TranslatedCommand
from provision.cli.options import inventory_option, selection, selector_options
from provision.i18n import _
from provision.render import render_selection, write_rendered


@click.command("render", cls=TranslatedCommand)
@inventory_option
@selector_options
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write files under OUT/<school>/ instead of printing them.",
)
def command(inventory: str, out: Path | None, **selectors: tuple[str, ...]) -> int:
    """Render device configs from templates: each switch's CLI in its platform's syntax
    (templates/switch/<platform>.j2), each camera's settings (the vocabulary every camera
    protocol shares) and each LED board's messages.

    The inventory must validate first. Rendering is deterministic: the same inventory gives
    the same bytes. Nothing is written unless every file rendered.

    \b
    Examples:
      provision render -i examples/dalian --school dl-zs-h024
      provision render -i examples/dalian --tier kindergarten --out out/
    """
    rendered = render_selection(inventory, selection(selectors))
    if out is None:
        for school_id, files in rendered.items():
            for name, text in files.items():
                click.echo(f"### {school_id}/{name}")
                click.echo(text, nl=False)
        return OK
    written, stale = write_rendered(rendered, out)
    click.echo(
        _("wrote {written} file(s) for {n_rendered} school(s) under {out}/").format(
            written=written, n_rendered=len(rendered), out=out
        ),
        err=True,
    )
    for path in stale:
        click.echo(_("removed {path} (no device renders it any more)").format(path=path), err=True)
    return OK
