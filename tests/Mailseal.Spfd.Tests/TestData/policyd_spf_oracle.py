# The real policyd-spf decision code (postfix-policyd-spf-python's spf_engine with pyspf) asked
# the same questions as mailseal-spfd, side by side. Its DNS is the test's zone, given through
# pyspf's own lookup hook (spf.DNSLookup): a name listed under "timeouts" raises pyspf's
# TempError, as a DNS server that never answers does.
# stdin: one JSON object {"records": {name: txt}, "timeouts": [name], "cases": [{...}]};
# stdout: one JSON list, the (action, header) policyd-spf returns for each case.
import json
import sys

import spf
import spf_engine
from spf_engine import policydspfsupp

world = json.load(sys.stdin)
records = {k.lower(): v for k, v in world["records"].items()}
timeouts = {t.lower() for t in world["timeouts"]}


def lookup(name, qtype, tcpfallback=True, timeout=30):
    name = name.rstrip('.').lower()
    if name in timeouts:
        raise spf.TempError('DNS Timeout')
    if qtype == 'TXT' and name in records:
        return [((name, 'TXT'), [records[name].encode()])]
    return []


spf.DNSLookup = lookup
answers = []
for case in world["cases"]:
    conf = dict(policydspfsupp.defaultConfigData)
    conf.update({'skip_addresses': '203.0.113.255/32', 'HELO_reject': case['helo_reject'],
                 'Mail_From_reject': case['mail_from_reject'], 'Header_Type': 'SPF'})
    data = {'request': 'smtpd_access_policy', 'protocol_state': 'RCPT', 'client_address': case['client'],
            'helo_name': case['helo'], 'sender': case['sender'], 'recipient': case['recipient'], 'instance': case['instance']}
    action, header = spf_engine._spfcheck(data, {}, conf, False, None)[:2]
    answers.append([action, header])
json.dump(answers, sys.stdout)
