

def test_fields_named_like_secrets_are_masked_at_any_depth() -> None:
    from socialhub.security.redact import MASK, redact_fields

    change = {"access_token": {"before": "a" * 20, "after": "b" * 20},
              "config": {"after": {"client_secret": "s3cr3t", "Password": "pw",
                                   "refresh_token_enc": "x", "handle": "@me"}},
              "list": [{"api_key": "k"}], "none_token": None, "body": "hello"}
    masked = redact_fields(change)
    assert masked["access_token"] == MASK
    assert masked["config"]["after"] == {"client_secret": MASK, "Password": MASK,
                                         "refresh_token_enc": MASK, "handle": "@me"}
    assert masked["list"] == [{"api_key": MASK}]
    assert masked["none_token"] is None and masked["body"] == "hello"
    assert change["access_token"]["before"] == "a" * 20  # the input is left alone
