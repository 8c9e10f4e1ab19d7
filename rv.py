import asyncio, json, base64, nats
async def main():
    nc = await nats.connect("nats://127.0.0.1:14611")
    got = []
    inbox = nc.new_inbox() + ".m"
    async def cb(m): got.append(json.loads(m.data))
    await nc.subscribe(inbox, cb=cb)
    r = json.loads((await nc.request("rv.login", json.dumps({"credentials": {"kind": "username-password", "username": "alice", "password": "secret"}, "interfaces": ["echo"], "mind": inbox, "issueToken": True}).encode())).data)
    tok = r["token"]; hdr, claims, _ = tok.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)
    print("header", json.loads(base64.urlsafe_b64decode(pad(hdr))), "claims", sorted(json.loads(base64.urlsafe_b64decode(pad(claims))).keys()))
    c = json.loads(base64.urlsafe_b64decode(pad(claims)))
    ans = await nc.request("portcullis.tokens.revoke", json.dumps({"jti": c["jti"], "expiresAt": c["exp"]}).encode())
    print("revoke reply", json.loads(ans.data))
    await asyncio.sleep(0.5); print("mind:", got)
    r2 = json.loads((await nc.request("rv.login", json.dumps({"credentials": {"kind": "token", "token": tok}, "interfaces": ["echo"]}).encode())).data)
    print("relogin with revoked token:", r2)
    g = await nc.request("portcullis.tokens.revoke", b"garbage"); print("garbage revoke:", json.loads(g.data))
    await nc.drain()
asyncio.run(main())
