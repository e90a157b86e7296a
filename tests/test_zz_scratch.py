import json
from app.cli import main

def test_scratch(runner, tmp_path):
    r = runner.invoke(main, ["--help"])
    print(r.output)
    r = runner.invoke(main, ["demo", "load"])
    print(r.output, r.exception)
    for q in ["What is the RERA number?", "Is there a helipad?", "What is the payment plan?", "What is the carpet area of 3 BHK?", "How far is the airport?", "What is the price of a 4 BHK?", "Who is the architect?", "What is the maintenance charge per month?", "What flooring is in the bedrooms?", "Is there a pet park?", "What is the BSP?"]:
        r = runner.invoke(main, ["ask", q, "--project", "Aravali Crest", "--json"])
        print(q, "=>", r.output, r.exception)
    r = runner.invoke(main, ["ask", "x", "--project", "Nope"])
    print(r.exit_code, r.output)
    r = runner.invoke(main, ["facts", "list", "Aravali Crest"])
    print(r.output)
    assert 0
