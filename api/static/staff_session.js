// The sign-in shared by the staff consoles (/staff, /agent, /analyst, /kb): the form of
// _staff_login.html, one login per browser tab kept in sessionStorage (so the consoles share it),
// and an API helper that adds the bearer token and turns an expired login into the login form.
//
//   const session = StaffSession({
//     signedIn: async function () { … },          // after a login or a restored one
//     signedOut: function () { … },               // before the login form is shown
//     forbidden: function (message) { … },        // optional: a 403 from the API
//     beforeLogout: async function () { … },      // optional: e.g. set presence offline
//   });
//   session.login  → {token, expires_at, staff} or null
//   session.show(views, name)       → shows one view, hides the others, names who is signed in
//   session.forbiddenText(message)  → the greeting for a console the role does not open
//   session.api(method, path, body) → {ok, status, body, response}
//   session.start()                 → restores a saved login or shows the form
(function () {
  "use strict";

  const STORAGE_KEY = "bank-staff-login";
  const $ = function (id) { return document.getElementById(id); };

  function errorMessage(result, fallback) {
    const error = result.body && result.body.error;
    return (error && error.message) || fallback || "操作失败，请稍后重试。";
  }

  window.StaffSession = function (hooks) {
    const session = { login: null, errorMessage: errorMessage };

    // One view of the console at a time; the header names who is signed in.
    session.show = function (views, name) {
      Object.keys(views).forEach(function (key) { views[key].hidden = key !== name; });
      $("who").hidden = !session.login;
      if (session.login) $("who-name").textContent = session.login.staff.display_name + "（" + session.login.staff.role_label + "）";
    };

    // What a signed-in member of staff reads on a console their role does not open.
    session.forbiddenText = function (message) {
      return "您好，" + session.login.staff.display_name + "。" + (message || "")
        + "您当前的角色是「" + session.login.staff.role_label + "」。";
    };

    session.signOut = function (message) {
      session.login = null;
      sessionStorage.removeItem(STORAGE_KEY);
      hooks.signedOut();
      $("login-error").textContent = "";
      $("login-info").textContent = message || "";
      $("login-password").value = "";
      $("login-username").focus();
    };

    session.api = async function (method, path, body) {
      const headers = { "Content-Type": "application/json" };
      if (session.login) headers.Authorization = "Bearer " + session.login.token;
      let response;
      try {
        response = await fetch(path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined });
      } catch (error) {
        return { ok: false, status: 0, body: { error: { message: "网络连接异常，请检查网络后重试。" } } };
      }
      let data = null;
      if (response.status !== 204) {
        try { data = await response.json(); } catch (error) { data = null; }
      }
      const result = { ok: response.ok, status: response.status, body: data, response: response };
      if (response.status === 401 && session.login) session.signOut(errorMessage(result, "登录已过期，请重新登录。"));
      if (response.status === 403 && session.login && hooks.forbidden) hooks.forbidden(errorMessage(result, ""));
      return result;
    };

    $("login-form").addEventListener("submit", async function (event) {
      event.preventDefault();
      const button = event.target.querySelector("button[type=submit]");
      $("login-error").textContent = "";
      $("login-info").textContent = "";
      button.disabled = true;
      const result = await session.api("POST", "/api/auth/login", {
        username: $("login-username").value.trim(),
        password: $("login-password").value,
      });
      button.disabled = false;
      $("login-password").value = "";
      if (!result.ok) {
        $("login-error").textContent = errorMessage(result, "登录失败，请稍后重试。");
        return;
      }
      session.login = result.body;
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session.login));
      await hooks.signedIn();
    });

    $("logout").addEventListener("click", async function () {
      if (!session.login) return;
      if (hooks.beforeLogout) await hooks.beforeLogout();
      await session.api("POST", "/api/auth/logout");
      if (session.login) session.signOut("您已安全退出登录。");
    });

    session.start = async function () {
      const saved = sessionStorage.getItem(STORAGE_KEY);
      if (!saved) { session.signOut(""); return; }
      try { session.login = JSON.parse(saved); } catch (error) { session.signOut(""); return; }
      const result = await session.api("GET", "/api/auth/me");
      if (result.status === 401) return; // api() has shown the login form with the reason
      if (!result.ok) { session.signOut(errorMessage(result)); return; }
      session.login.staff = result.body.staff;
      session.login.expires_at = result.body.expires_at;
      await hooks.signedIn();
    };

    return session;
  };
})();
