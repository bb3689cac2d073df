"""Newsletter sending benchmark: snapshot time, messages per second against a bare reference, peak memory.

    python bench/newsletter.py [--members 100000] [--small 10000] [--connections 2] [--repeat 3]
                               [--profile FOLDER]

For each size it builds a fresh SQLite database (copied from one migrated once) with that many subscribed
members and a published story, then, in a child process of its own (so its peak memory is the sender's
alone): snapshots the recipients (`services.start`) and sends to all of them (`services.deliver`) over
`--connections` kept-alive SMTP sessions. The reference is a bare loop in another child that sends the same
number of messages over the same number of connections to the same sink, run just before and just after
the send (their mean is the reference); its message is one recipient's real message, rendered by the
send's own code and sent as the same bytes every time (the sink's work grows with a message's lines, so
only the real bytes make a fair reference). Both report CPU milliseconds per message too, which a busy
machine distorts less than wall time, and the sink's CPU milliseconds per message during each.
The sink is aiosmtpd's Sink handler in its own process. Each size is measured `--repeat` times, each
time on a fresh copy of the database, and the round with the median ratio is reported, beside every
round's ratio and the highest peak memory: on a shared machine one round can land on a burst of
someone else's work. The last line printed is the figures as JSON.
`--profile FOLDER` also writes each send's profile there (`send-<members>-round-<n>.prof`, CPU time of
the sending threads, for `python -m pstats`); profiling slows the send, so its figures are not
comparable then.
"""

import argparse
import json
import os
import resource
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import common  # bench/common.py (bench/ is on the path when a script runs)

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def env_for(folder: Path, port: int, connections: int) -> dict:
    return common.env_for(
        folder, EMAIL_URL=f"smtp://127.0.0.1:{port}", NEWSLETTER_CONNECTIONS=str(connections)
    )


def child(phase: str, env: dict, *args) -> dict:
    """Run one phase in a child process; its JSON answer plus its peak memory in MB."""
    process = subprocess.Popen(
        [sys.executable, __file__, "--phase", phase, *map(str, args)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
    )
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.stdout.close()
    if status != 0:
        raise SystemExit(f"phase {phase} failed")
    answer = json.loads(output.decode().strip().splitlines()[-1])
    answer["peak_mb"] = round(usage.ru_maxrss / 1024, 1)  # Linux reports kilobytes
    return answer


# Phases (each in its own process) ---------------------------------------------------------------------


def phase_migrate() -> dict:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    return {}


def phase_fill(members: int) -> dict:
    import django

    django.setup()
    from byline.core.models import HomePage
    from byline.members.models import Member
    from byline.newsletters.models import Newsletter
    from byline.stories.models import Author, StoryAuthor, StoryPage

    started = time.perf_counter()
    newsletter = Newsletter.objects.create(name="Bench Weekly", sender_email="desk@bench.example")
    Member.objects.bulk_create(
        (Member(email=f"reader{n}@bench.example", name=f"Reader {n}") for n in range(members)),
        batch_size=2000,
    )
    through = Member.newsletters.through
    ids = Member.objects.values_list("pk", flat=True).iterator(chunk_size=5000)
    through.objects.bulk_create(
        (through(member_id=pk, newsletter_id=newsletter.pk) for pk in ids), batch_size=2000
    )
    paragraphs = "".join(
        f"<p>Paragraph {n} of a benchmark story, written for this run.</p>" for n in range(30)
    )
    story = StoryPage(
        title="Benchmark story", slug="bench", body=[{"type": "rich_text", "value": paragraphs}]
    )
    HomePage.objects.get(depth=2).add_child(instance=story)
    StoryAuthor.objects.create(story=story, author=Author.objects.create(name="Bench Author"))
    story.email_newsletter = newsletter
    story.save_revision().publish()  # creates the Email; its queued task is never run here
    raw = one_message()
    reference_message_path().write_bytes(raw)
    return {"fill_seconds": round(time.perf_counter() - started, 2), "message_bytes": len(raw)}


def reference_message_path() -> Path:
    """Where the fill phase leaves the reference's message: the phase's own data folder."""
    return Path(os.environ["BYLINE_DATA_DIR"]) / "reference.eml"


def one_message() -> bytes:
    """One recipient's message, rendered as the send will render it (the reference sends these bytes)."""
    from byline.newsletters import mail, rendering, services
    from byline.newsletters.models import Email

    email = Email.objects.get()
    story = email.story.specific
    rendered = rendering.render(
        story, email.newsletter, services.publication_for(story), subject=email.subject
    )
    email.html, email.text, email.marker = rendered.html, rendered.text, rendered.marker
    factory, _ = services.factory_for(email)
    return factory.build(mail.Person(member_uuid="0" * 32, address="reader1@bench.example", name="Reader 1"))


def phase_send() -> dict:
    import django

    django.setup()
    from byline.newsletters import services
    from byline.newsletters.models import Email

    email = Email.objects.get()
    started = time.perf_counter()
    services.start(email)
    snapshot = time.perf_counter() - started
    profiles = profile_senders(services) if os.environ.get("BENCH_PROFILE") else None
    started, cpu = time.perf_counter(), cpu_seconds()
    sent = services.deliver(email)
    elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    services.finish_if_done(email)
    if profiles:
        import pstats

        merged = pstats.Stats(profiles[0])
        for profile in profiles[1:]:
            merged.add(profile)
        merged.dump_stats(os.environ["BENCH_PROFILE"])
    return {
        "snapshot_seconds": round(snapshot, 3),
        "recipients": email.recipient_count,
        "sent": sent,
        "send_seconds": round(elapsed, 2),
        "messages_per_second": round(sent / elapsed, 1),
        "cpu_ms_per_message": round(1000 * cpu / max(sent, 1), 3),
        "self_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def profile_senders(services) -> list:
    """Profile each sending thread (cProfile sees only the thread that enables it), by its CPU time."""
    import cProfile

    profiles, run = [], services.Sender.run

    def profiled(sender):
        profile = cProfile.Profile(time.thread_time)
        profiles.append(profile)
        profile.enable()
        try:
            return run(sender)
        finally:
            profile.disable()

    services.Sender.run = profiled
    return profiles


def phase_reference(port: int, count: int, connections: int) -> dict:
    """The floor to compare with: pre-rendered bytes over kept-alive sessions, no database at all."""
    message = reference_message_path().read_bytes()
    shares = [count // connections + (1 if n < count % connections else 0) for n in range(connections)]

    def loop(share: int) -> None:
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for n in range(share):
                smtp.sendmail("desk@bench.example", [f"reader{n}@bench.example"], message)

    started, cpu = time.perf_counter(), cpu_seconds()
    threads = [threading.Thread(target=loop, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    return {
        "sent": count,
        "send_seconds": round(elapsed, 2),
        "messages_per_second": round(count / elapsed, 1),
        "cpu_ms_per_message": round(1000 * cpu / count, 3),
    }


def cpu_seconds() -> float:
    """CPU time of this process so far, all threads: steadier than wall time on a busy machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# The run ------------------------------------------------------------------------------------------------


def sink_cpu_seconds(pid: int) -> float:
    """CPU time the sink process has used so far (Linux: utime + stime in clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def with_sink_cpu(sink_pid: int, count: int, run) -> dict:
    """`run()`'s answer plus the sink's CPU milliseconds per message while it ran."""
    before = sink_cpu_seconds(sink_pid)
    answer = run()
    answer["sink_cpu_ms_per_message"] = round(1000 * (sink_cpu_seconds(sink_pid) - before) / count, 3)
    return answer


def measure(size: int, template: Path, port: int, connections: int, sink_pid: int, profile: str) -> dict:
    folder = Path(tempfile.mkdtemp(prefix=f"byline-bench-{size}-"))
    try:
        shutil.copy(template / "byline.sqlite3", folder / "byline.sqlite3")
        env = env_for(folder, port, connections)
        fill = child("fill", env, size)
        # The reference runs just before and just after the send and counts as their mean, so a change
        # in the machine's load during the run shifts both sides alike.
        before = with_sink_cpu(sink_pid, size, lambda: child("reference", env, port, size, connections))
        send_env = {**env, "BENCH_PROFILE": profile} if profile else env
        send = with_sink_cpu(sink_pid, size, lambda: child("send", send_env))
        after = with_sink_cpu(sink_pid, size, lambda: child("reference", env, port, size, connections))
        reference = {
            key: round((before[key] + after[key]) / 2, 3)
            for key in ("messages_per_second", "cpu_ms_per_message", "sink_cpu_ms_per_message")
        }
        reference["runs_messages_per_second"] = [before["messages_per_second"], after["messages_per_second"]]
        ratio = round(send["messages_per_second"] / reference["messages_per_second"], 3)
        return {"members": size, "fill": fill, "send": send, "reference": reference, "ratio": ratio}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def median_round(rounds: list[dict]) -> dict:
    """The round whose ratio is the median (the lower middle one for an even count), with every
    round's ratio and send time and the highest peak memory of them all."""
    chosen = sorted(rounds, key=lambda result: result["ratio"])[(len(rounds) - 1) // 2]
    return {
        **chosen,
        "ratios": [result["ratio"] for result in rounds],
        "send_seconds_each": [result["send"]["send_seconds"] for result in rounds],
        "peak_mb": max(result["send"]["peak_mb"] for result in rounds),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="rounds per size; the median is reported")
    parser.add_argument("--profile", default="", help="a folder for each send's profile")
    parser.add_argument("--phase")
    parser.add_argument("args", nargs="*", type=int)
    options = parser.parse_args()
    if options.phase:
        answer = {
            "migrate": phase_migrate,
            "fill": phase_fill,
            "send": phase_send,
            "reference": phase_reference,
        }[options.phase](*options.args)
        print(json.dumps(answer))
        return

    if options.profile:
        Path(options.profile).mkdir(parents=True, exist_ok=True)
    port = free_port()
    sink = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    template = Path(tempfile.mkdtemp(prefix="byline-bench-template-"))
    try:
        time.sleep(1)
        child("migrate", env_for(template, port, options.connections))
        results = []
        for size in (options.small, options.members):
            rounds = []
            for n in range(max(options.repeat, 1)):
                # One profile a round (a single file would keep only the last round's).
                named = f"send-{size}-round-{n + 1}.prof"
                profile = str(Path(options.profile).resolve() / named) if options.profile else ""
                rounds.append(measure(size, template, port, options.connections, sink.pid, profile))
                print(f"{size:,} members, round {n + 1}: ratio {rounds[-1]['ratio']:.2f}", flush=True)
            results.append(median_round(rounds))
    finally:
        sink.terminate()
        sink.wait()
        shutil.rmtree(template, ignore_errors=True)

    figures = {"connections": options.connections, "repeat": options.repeat}
    print(
        f"{'members':>8} {'snapshot s':>10} {'msg/s':>8} {'reference':>10} {'ratio':>6} {'send s':>7}"
        f" {'cpu ms/msg':>10} {'ref cpu':>8} {'sink cpu':>8} {'ref sink':>8} {'peak MB':>8}"
    )
    for result in results:
        send, reference = result["send"], result["reference"]
        ratio = result["ratio"]
        print(
            f"{result['members']:>8} {send['snapshot_seconds']:>10} {send['messages_per_second']:>8}"
            f" {reference['messages_per_second']:>10} {ratio:>6.2f} {send['send_seconds']:>7}"
            f" {send['cpu_ms_per_message']:>10}"
            f" {reference['cpu_ms_per_message']:>8} {send['sink_cpu_ms_per_message']:>8}"
            f" {reference['sink_cpu_ms_per_message']:>8} {result['peak_mb']:>8}"
        )
        figures[str(result["members"])] = {
            "snapshot_seconds": send["snapshot_seconds"],
            "send_seconds": send["send_seconds"],
            "messages_per_second": send["messages_per_second"],
            "reference_messages_per_second": reference["messages_per_second"],
            "reference_runs_messages_per_second": reference["runs_messages_per_second"],
            "ratio_to_reference": ratio,
            "ratios_each_round": result["ratios"],
            "send_seconds_each_round": result["send_seconds_each"],
            "cpu_ms_per_message": send["cpu_ms_per_message"],
            "reference_cpu_ms_per_message": reference["cpu_ms_per_message"],
            "sink_cpu_ms_per_message": send["sink_cpu_ms_per_message"],
            "reference_sink_cpu_ms_per_message": reference["sink_cpu_ms_per_message"],
            "message_bytes": result["fill"]["message_bytes"],
            "sender_peak_mb": result["peak_mb"],
            "delivered": send["sent"],
        }
    print("targets: snapshot <= 5 s for 100k; ratio >= 0.9; 100k in <= 120 s; peak <= 150 MB and flat")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
