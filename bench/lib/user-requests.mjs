/**
 * autocannon's `requests` for the bench route: every request asks for another id
 * (`GET /users/1`, `/users/2`, …), so the route is parameterised for real and nothing can be
 * cached by URL. The id runs on across calls within a process.
 */
const IDS = 10_000;
let id = 0;

export function userRequests() {
  return [
    {
      method: 'GET',
      setupRequest: (request) => {
        id = id === IDS ? 1 : id + 1;
        request.path = `/users/${id}`;
        return request;
      },
    },
  ];
}
