"""``socialhub posts submit|approve|request-changes|comments``: the review of a post
(registered by cli/posts.py)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from socialhub.cli.common import JsonOption, emit_json, get_hub, info, out

RefArg = Annotated[str, typer.Argument(help="Post name or id.")]
CommentOpt = Annotated[str | None, typer.Option("--comment", "-m", help="A note for the "
                                                "post's review thread.")]


def _report(data: dict[str, Any], json_: bool, verb: str) -> None:
    if json_:
        emit_json(data)
    else:
        info(f"{verb} {data['name']} (status {data['status']}, approval {data['approval']})")


def submit(ref: RefArg, comment: CommentOpt = None, json_: JsonOption = False) -> None:
    """Ask a reviewer to approve a post (the approvals queue).

    Example: socialhub posts submit spring-launch -m "ready for Friday"
    """
    from socialhub.services.authoring.review import submit_post

    with get_hub().context("cli") as ctx:
        data = submit_post(ctx, ref, comment=comment)
    _report(data, json_, "submitted")


def approve(ref: RefArg, comment: CommentOpt = None, json_: JsonOption = False) -> None:
    """Approve a post's content as it is (never your own post).

    An edit later sends it back to review.

    Example: socialhub posts approve spring-launch -m "lovely"
    """
    from socialhub.services.authoring.review import approve_post

    with get_hub().context("cli") as ctx:
        data = approve_post(ctx, ref, comment=comment)
    _report(data, json_, "approved")


def request_changes(
    ref: RefArg,
    comment: Annotated[str, typer.Option("--comment", "-m", help="What to change.")],
    json_: JsonOption = False,
) -> None:
    """Send a post back to its author with what to change.

    Example: socialhub posts request-changes spring-launch -m "shorter, and no hashtag"
    """
    from socialhub.services.authoring.review import request_changes as request

    with get_hub().context("cli") as ctx:
        data = request(ctx, ref, comment=comment)
    _report(data, json_, "changes requested on")


def comments(
    ref: RefArg,
    add: Annotated[str | None, typer.Option("--add", help="Add this comment first.")] = None,
    json_: JsonOption = False,
) -> None:
    """Show a post's review thread, or add a comment to it.

    The thread lists submissions, approvals, requests for changes and comments.

    Example: socialhub posts comments spring-launch --add "can we move it to 10:00?"
    """
    from socialhub.services.authoring.review import comment_post, post_thread

    with get_hub().context("cli") as ctx:
        if add is not None:
            comment_post(ctx, ref, add)
        data = post_thread(ctx, ref)
    if json_:
        emit_json(data)
        return
    console = out()
    console.print(f"{data['name']}: status {data['status']}, approval {data['approval']}",
                  highlight=False, markup=False)
    for c in data["comments"]:
        when = c["created_at"].strftime("%Y-%m-%d %H:%M") if c["created_at"] else ""
        body = f": {c['body']}" if c["body"] else ""
        console.print(f"  {when}  {c['author']}  {c['kind']}{body}", highlight=False,
                      markup=False)


def register(app: typer.Typer) -> None:
    """Add the review commands to the ``posts`` command group."""
    app.command("submit")(submit)
    app.command("approve")(approve)
    app.command("request-changes")(request_changes)
    app.command("comments")(comments)
