# Nimbus's own Python runtime client: speaks the Lambda Runtime API (AWS_LAMBDA_RUNTIME_API) as
# AWS's awslambdaric does, with AWS's context object, logging format and error shapes.
import http.client
import importlib
import json
import logging
import os
import sys
import threading
import time
import traceback

parent_pid = os.getppid()


def specialise():
    # A spare started ahead of need receives its function on stdin (one JSON line): the
    # environment, the task root and the search paths it would have had at start-up.
    line = sys.stdin.readline()
    if not line:
        os._exit(129)  # Nimbus went away before using this spare
    spec = json.loads(line)
    os.environ.clear()
    os.environ.update(spec["env"])
    time.tzset()
    for p in reversed([p for p in os.environ.get("PYTHONPATH", "").split(":") if p]):
        if p not in sys.path:
            sys.path.insert(0, p)
    os.chdir(spec["taskRoot"])


if os.environ.get("NIMBUS_SPARE") == "1":
    specialise()

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
host, port = API.split(":")
conn = http.client.HTTPConnection(host, int(port))


def watch_parent():
    # Never outlive Nimbus.
    while True:
        time.sleep(0.5)
        if os.getppid() != parent_pid:
            os._exit(129)


threading.Thread(target=watch_parent, daemon=True).start()


def api(method, path, body=None, headers=None):
    global conn
    try:
        conn.request(method, path, body=body, headers=headers or {})
        res = conn.getresponse()
        return res.status, res.headers, res.read()
    except (ConnectionError, http.client.HTTPException, OSError):
        os._exit(129)  # the Runtime API is gone: Nimbus stopped


def error_record(exc, request_id=""):
    tb = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(tb),
    }


current_request_id = None


class LambdaLogFormatter(logging.Formatter):
    def format(self, record):
        record.aws_request_id = current_request_id or ""
        return super().format(record).replace("\n", "\r")


def setup_logging():
    handler = logging.StreamHandler(sys.stdout)
    if os.environ.get("AWS_LAMBDA_LOG_FORMAT") == "JSON":
        class JsonFormatter(logging.Formatter):
            def format(self, record):
                return json.dumps({
                    "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
                    "level": record.levelname,
                    "message": record.getMessage(),
                    "logger": record.name,
                    "requestId": current_request_id,
                })
        handler.setFormatter(JsonFormatter())
    else:
        fmt = LambdaLogFormatter("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n", "%Y-%m-%dT%H:%M:%S")
        fmt.converter = time.gmtime
        handler.setFormatter(fmt)
        handler.terminator = ""
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)


class CognitoIdentity:
    def __init__(self, d):
        self.cognito_identity_id = d.get("cognitoIdentityId")
        self.cognito_identity_pool_id = d.get("cognitoIdentityPoolId")


class ClientContext:
    def __init__(self, d):
        self.client = d.get("client")
        self.custom = d.get("custom")
        self.env = d.get("env")


class LambdaContext:
    def __init__(self, request_id, deadline_ms, invoked_arn, identity, client_context):
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_arn
        self.identity = CognitoIdentity(identity) if identity else None
        self.client_context = ClientContext(client_context) if client_context else None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))

    def __repr__(self):
        return "LambdaContext([aws_request_id={}, log_group_name={}, log_stream_name={}, function_name={}, memory_limit_in_mb={}, function_version={}, invoked_function_arn={}])".format(
            self.aws_request_id, self.log_group_name, self.log_stream_name, self.function_name,
            self.memory_limit_in_mb, self.function_version, self.invoked_function_arn)


def loads_or_none(s):
    try:
        return json.loads(s) if s else None
    except ValueError:
        return None


def init_error(record):
    body = json.dumps(record)
    print("[ERROR] {}: {}\rTraceback (most recent call last):\r{}".format(record["errorType"], record["errorMessage"], "".join(record["stackTrace"]).replace("\n", "\r")), flush=True)
    api("POST", "/2018-06-01/runtime/init/error", body, {"Content-Type": "application/json", "Lambda-Runtime-Function-Error-Type": record["errorType"]})
    sys.exit(1)


def load_handler(handler_string):
    try:
        module_path, fn_name = handler_string.rsplit(".", 1)
    except ValueError:
        init_error({"errorMessage": "Bad handler '{}': not enough values to unpack (expected 2, got 1)".format(handler_string), "errorType": "Runtime.MalformedHandlerName", "requestId": "", "stackTrace": []})
    module_name = module_path.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        init_error({"errorMessage": "Unable to import module '{}': {}".format(module_name, e), "errorType": "Runtime.ImportModuleError", "requestId": "", "stackTrace": []})
    except SyntaxError as e:
        init_error({"errorMessage": "Syntax error in module '{}': {}".format(module_name, e), "errorType": "Runtime.UserCodeSyntaxError", "requestId": "", "stackTrace": traceback.format_list(traceback.extract_tb(e.__traceback__))})
    except Exception as e:
        init_error(error_record(e))
    fn = getattr(module, fn_name, None)
    if fn is None:
        init_error({"errorMessage": "Handler '{}' missing on module '{}'".format(fn_name, module_name), "errorType": "Runtime.HandlerNotFound", "requestId": "", "stackTrace": []})
    return fn


def support_endpoint_url_env():
    # On AWS the runtime's boto3 is recent and, like every current SDK, reads AWS_ENDPOINT_URL
    # (botocore 1.31 and later). A local botocore older than that would send a handler's calls
    # to real AWS: teach it the variable when botocore.session is first imported (importing
    # botocore here would slow every cold start).
    if not os.environ.get("AWS_ENDPOINT_URL"):
        return
    try:
        import importlib.metadata
        version = tuple(int(p) for p in importlib.metadata.version("botocore").split(".")[:2])
    except Exception:
        return
    if version >= (1, 31):
        return
    import importlib.abc
    import importlib.util

    class PatchSessionOnImport(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name != "botocore.session":
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(name)
            if spec is None or spec.loader is None:
                return spec
            exec_module = spec.loader.exec_module

            def exec_and_patch(module):
                exec_module(module)
                create_client = module.Session.create_client

                def with_endpoint(self, *args, **kwargs):
                    if len(args) < 6 and kwargs.get("endpoint_url") is None:
                        kwargs["endpoint_url"] = os.environ.get("AWS_ENDPOINT_URL")
                    return create_client(self, *args, **kwargs)

                module.Session.create_client = with_endpoint

            spec.loader.exec_module = exec_and_patch
            return spec

    sys.meta_path.insert(0, PatchSessionOnImport())


def main():
    global current_request_id
    setup_logging()
    support_endpoint_url_env()
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    if task_root not in sys.path:
        sys.path.insert(0, task_root)
    handler = load_handler(os.environ["_HANDLER"])
    while True:
        status, headers, body = api("GET", "/2018-06-01/runtime/invocation/next")
        if status != 200:
            os._exit(129)
        request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
        current_request_id = request_id
        trace = headers.get("Lambda-Runtime-Trace-Id")
        if trace:
            os.environ["_X_AMZN_TRACE_ID"] = trace
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        # http.client reads header bytes as latin-1; the JSON in them is UTF-8.
        cc = headers.get("Lambda-Runtime-Client-Context")
        ci = headers.get("Lambda-Runtime-Cognito-Identity")
        cc = cc.encode("latin-1").decode("utf-8", "replace") if cc else cc
        ci = ci.encode("latin-1").decode("utf-8", "replace") if ci else ci
        context = LambdaContext(request_id, int(headers.get("Lambda-Runtime-Deadline-Ms") or 0), headers.get("Lambda-Runtime-Invoked-Function-Arn"),
                                loads_or_none(ci), loads_or_none(cc))
        try:
            event = json.loads(body) if body else None
            result = handler(event, context)
            ok = True
        except Exception as e:
            record = error_record(e, request_id)
            ok = False
        if ok:
            try:
                out = json.dumps(result)
            except Exception as e:
                record = {"errorMessage": "Unable to marshal response: {}".format(e), "errorType": "Runtime.MarshalError", "requestId": request_id, "stackTrace": []}
                ok = False
        sys.stdout.flush()
        sys.stderr.flush()
        if ok:
            os.write(1, "\0NIMBUS_END {}\n".format(request_id).encode())
            api("POST", "/2018-06-01/runtime/invocation/{}/response".format(request_id), out, {"Content-Type": "application/json"})
        else:
            print("[ERROR] {}: {}\rTraceback (most recent call last):\r{}".format(record["errorType"], record["errorMessage"], "".join(record["stackTrace"]).replace("\n", "\r")), flush=True)
            os.write(1, "\0NIMBUS_END {}\n".format(request_id).encode())
            api("POST", "/2018-06-01/runtime/invocation/{}/error".format(request_id), json.dumps(record),
                {"Content-Type": "application/json", "Lambda-Runtime-Function-Error-Type": record["errorType"]})


if __name__ == "__main__":
    main()
