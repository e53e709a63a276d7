/**
 * API Gateway proxy events ↔ Web-standard Request/Response, for REST APIs (payload 1.0) and HTTP APIs
 * (payload 2.0). Pure conversions; the Lambda entry point only wires them to the web handler.
 */

export interface RestApiEvent {
  readonly httpMethod: string;
  readonly path: string;
  readonly headers?: Record<string, string | undefined> | null;
  readonly multiValueHeaders?: Record<string, string[] | undefined> | null;
  readonly queryStringParameters?: Record<string, string | undefined> | null;
  readonly multiValueQueryStringParameters?: Record<string, string[] | undefined> | null;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
  readonly requestContext?: { readonly requestId?: string; readonly identity?: { readonly sourceIp?: string } };
}

export interface HttpApiEvent {
  readonly version: '2.0';
  readonly rawPath: string;
  readonly rawQueryString?: string;
  readonly headers?: Record<string, string | undefined>;
  readonly cookies?: string[];
  readonly requestContext: { readonly requestId?: string; readonly http: { readonly method: string; readonly sourceIp?: string } };
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
}

export type ApiGatewayEvent = RestApiEvent | HttpApiEvent;

export interface ApiGatewayResult {
  statusCode: number;
  headers: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  cookies?: string[];
  body: string;
  isBase64Encoded: boolean;
}

const isHttpApi = (event: ApiGatewayEvent): event is HttpApiEvent => (event as HttpApiEvent).version === '2.0';

export function eventToRequest(event: ApiGatewayEvent): Request {
  const headers = new Headers();
  let method: string;
  let path: string;
  let query: string;
  if (isHttpApi(event)) {
    method = event.requestContext.http.method;
    path = event.rawPath;
    query = event.rawQueryString ?? '';
    for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) headers.set(k, v);
    if (event.cookies?.length) headers.set('cookie', event.cookies.join('; '));
  } else {
    method = event.httpMethod;
    path = event.path;
    const params = new URLSearchParams();
    const multi = event.multiValueQueryStringParameters;
    if (multi) {
      for (const [k, vs] of Object.entries(multi)) for (const v of vs ?? []) params.append(k, v);
    } else {
      for (const [k, v] of Object.entries(event.queryStringParameters ?? {})) if (v !== undefined) params.append(k, v);
    }
    query = params.toString();
    if (event.multiValueHeaders) {
      for (const [k, vs] of Object.entries(event.multiValueHeaders)) for (const v of vs ?? []) headers.append(k, v);
    } else {
      for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) headers.set(k, v);
    }
  }
  const host = headers.get('host') ?? 'lambda.local';
  const body = event.body ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64') : event.body) : undefined;
  return new Request(`https://${host}${path}${query ? `?${query}` : ''}`, {
    method,
    headers,
    ...(body !== undefined && method !== 'GET' && method !== 'HEAD' ? { body } : {}),
  });
}

/** The caller's address and API Gateway's request id, as API Gateway saw them (not from client headers). */
export function eventMeta(event: ApiGatewayEvent): { sourceIp?: string; requestId?: string } {
  const sourceIp = isHttpApi(event) ? event.requestContext.http.sourceIp : event.requestContext?.identity?.sourceIp;
  const requestId = event.requestContext?.requestId;
  return { ...(sourceIp ? { sourceIp } : {}), ...(requestId ? { requestId } : {}) };
}

/** Textual bodies go as they are; anything else base64-encoded, as API Gateway requires. */
const textual = /^(text\/|application\/(json|.*\+json|javascript|xml|x-www-form-urlencoded)|text\/event-stream)/;

export async function responseToResult(response: Response, event: ApiGatewayEvent): Promise<ApiGatewayResult> {
  const contentType = response.headers.get('content-type') ?? '';
  const isText = contentType === '' || textual.test(contentType);
  const bytes = Buffer.from(await response.arrayBuffer());
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  const result: ApiGatewayResult = {
    statusCode: response.status,
    headers,
    body: isText ? bytes.toString('utf8') : bytes.toString('base64'),
    isBase64Encoded: !isText,
  };
  if (cookies.length > 0) {
    if (isHttpApi(event)) result.cookies = cookies;
    else result.multiValueHeaders = { 'set-cookie': cookies };
  }
  return result;
}
